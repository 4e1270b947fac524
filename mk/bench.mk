# Benchmarks (bench/README.md):
#   make bench        dirty_log_perf sweep (bitmap vs ring), JSON + table +
#                     plot under $(BUILD_DIR)/bench/ (~4 minutes here)
#   make microbench   Google Benchmark of the userspace side (~1 minute), then
#                     instruction counts under callgrind (bench/icount.sh)
#   make bench-migrate  dirtyscope migrate, bitmap vs ring: medians, ratios,
#                     convergence plot under $(BUILD_DIR)/bench/migrate/
.PHONY: bench microbench bench-migrate

bench: build
	@bench/sweep.sh $(BUILD_DIR)

# Times (Google Benchmark), then instruction counts under callgrind
# (bench/icount.sh): the repeatable view, per ring entry and per page.
microbench: build
	@mkdir -p $(BUILD_DIR)/bench
	$(BUILD_DIR)/bin/dirtyscope_microbench | tee $(BUILD_DIR)/bench/microbench.txt
	@bench/icount.sh $(BUILD_DIR) | tee -a $(BUILD_DIR)/bench/microbench.txt

bench-migrate: build
	@bench/migrate_bench.sh $(BUILD_DIR)

# make bench-compare: the kernel's dirty_log_perf_test (built from Debian's
# linux-source, vm/peer-build.sh) against dirty_log_perf, alternately
# at equal settings, per-phase medians and ratios (bench/compare.sh;
# COMPARE_ROUNDS, COMPARE_MEM, COMPARE_ITERS, COMPARE_CPL).
.PHONY: bench-compare
bench-compare: build vm-deps
	@bench/compare.sh $(BUILD_DIR)

# make bench-scale: collection cost from 256 MiB to 16 GiB, 1-4 vCPUs and
# 1-8 memslots, fitted per page of memory, per dirty page, per vCPU and per
# slot with standard errors (bench/scale.sh; SCALE_SIZES, SCALE_FRACTIONS,
# SCALE_VCPUS, SCALE_SLOTS, SCALE_ITERS, SCALE_BACKING). Without /dev/kvm
# it runs in the nested VM, sized for the largest point (~1 hour here).
.PHONY: bench-scale
bench-scale: build vm-deps
	@bench/scale.sh $(BUILD_DIR)

# make bench-ring-share: dirty_log_perf's ring collection in userspace per
# entry against the microbenchmark's harvest of the same count, measured in
# one machine, alternately (bench/ring-share.sh; RING_SHARE_ROUNDS).
.PHONY: bench-ring-share
bench-ring-share: build vm-deps
	@bench/ring-share.sh $(BUILD_DIR)
