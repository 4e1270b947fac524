# Statistics (lib/stats, tools/dirtyscope): BPF toolchain, build, tests.
#   make stats        install the bpf apt group, build build/bin/dirtyscope
#   make stats-test   unit + live statistics tests (live ones skip without BPF/KVM)
.PHONY: stats stats-test stats-unit-test

STATS_TARGETS := dirtyscope_cli stats_unit_test stats_live_test kmod_stats_unit_test kmod_stats_live_test
STATS_TESTS := '^(stats/|dirtyscope_cli)'

stats:
	@scripts/install-deps.sh core bpf netlink
	@# Re-configure: a cache made before the bpf group was installed must
	@# pick up clang/bpftool/libbpf (and libnl for the kmod source) now.
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS) --target $(STATS_TARGETS)

stats-test: stats
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j 1 -R $(STATS_TESTS)

stats-unit-test: stats
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit -R $(STATS_TESTS)
