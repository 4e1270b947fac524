# Module churn and in-kernel genl fuzzing in the nested VM (vm/churn-test.sh;
# ctest vm.module_churn runs the same at full size):
#   make churn [CHURN_MESSAGES=100000] [CHURN_LOADS=100] [CHURN_KVM_RELOADS=4] [CHURN_SEED=N]
CHURN_MESSAGES ?= 100000
CHURN_LOADS ?= 100
CHURN_KVM_RELOADS ?= 4
CHURN_SEED ?=

.PHONY: churn
churn:
	@BUILD_DIR=$(BUILD_DIR) CHURN_MESSAGES=$(CHURN_MESSAGES) CHURN_LOADS=$(CHURN_LOADS) \
		CHURN_KVM_RELOADS=$(CHURN_KVM_RELOADS) CHURN_SEED=$(CHURN_SEED) vm/churn-test.sh
