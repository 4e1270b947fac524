# Kernel mutants in the nested VM (owned with vm/).
#   make mutants [MUTANTS="a.patch b.patch"] [PEER=1]
# Boots kvm modules rebuilt with each patch (default vm/mutants/*.patch)
# plus an unpatched control, runs dirty_log_test in several configurations
# and prints a mutant x test kill table (also $(BUILD_DIR)/mutants/results.
# {ktap,json}). Exit 0 only if the control passes and every mutant is killed.
MUTANTS ?=
PEER ?= 0

.PHONY: mutants
mutants: build
	@scripts/install-deps.sh kmod vm kvmsrc
	@BUILD_DIR=$(BUILD_DIR) PEER=$(PEER) vm/mutants.sh $(MUTANTS)
