# Soak (owned with vm/): make soak [SOAK_RUNS=20]: every mode with SOAK_RUNS
# seeds at CPL3 and CPL0 in the nested VM, a pass/fail/skip table per mode.
# Not part of make test.
SOAK_RUNS ?= 20

.PHONY: soak
soak: build
	@scripts/install-deps.sh kmod vm
	@BUILD_DIR=$(BUILD_DIR) SOAK_RUNS=$(SOAK_RUNS) vm/soak.sh
