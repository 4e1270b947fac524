# Benchmarks (bench/README.md):
#   make bench        dirty_log_perf sweep (bitmap vs ring), JSON + table +
#                     plot under $(BUILD_DIR)/bench/ (~4 minutes here)
#   make microbench   Google Benchmark of the userspace side (~1 minute)
#   make bench-migrate  dirtyscope migrate, bitmap vs ring: medians, ratios,
#                     convergence plot under $(BUILD_DIR)/bench/migrate/
.PHONY: bench microbench bench-migrate

bench: build
	@bench/sweep.sh $(BUILD_DIR)

microbench: build
	@mkdir -p $(BUILD_DIR)/bench
	$(BUILD_DIR)/bin/dirtyscope_microbench | tee $(BUILD_DIR)/bench/microbench.txt

bench-migrate: build
	@bench/migrate_bench.sh $(BUILD_DIR)
