# libFuzzer targets (fuzz/, docs/kernels-and-vm-harness.md "Fuzzing"), in their own clang build:
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="json options"]
# runs each target FUZZ_SECONDS on a scratch copy of its seed corpus and
# prints executions, exec/s and findings; exit 1 on a finding.
FUZZ_SECONDS ?= 60
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_TARGETS ?=

.PHONY: fuzz
fuzz:
	@scripts/install-deps.sh core netlink fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_BUILD_DIR) $(FUZZ_TARGETS)
