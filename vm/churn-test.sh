#!/usr/bin/env bash
# Module churn and in-kernel genl fuzzing in the nested VM (ctest
# vm.module_churn, `make churn`): kmod/tests/genl_fuzz and module_churn as
# VM_TESTS of the usual harness, after the module's own tests. Knobs
# (CHURN_MESSAGES, CHURN_LOADS, CHURN_KVM_RELOADS, CHURN_SEED, VM_OUT):
# docs/kernels-and-vm-harness.md, "Module churn". Exit: vm/run.sh's.
set -euo pipefail
WHO=churn-test
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
BIN=$BUILD_DIR/vm-churn-bin
MESSAGES=${CHURN_MESSAGES:-100000}
LOADS=${CHURN_LOADS:-100}
KVM_RELOADS=${CHURN_KVM_RELOADS:-4}
for v in MESSAGES LOADS KVM_RELOADS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "CHURN_$v='${!v}' is not a number"
done

scripts/install-deps.sh kmod vm
kmod/tests/build.sh gcc "$BIN" genl_fuzz module_churn

export BUILD_DIR VM_OUT=${VM_OUT:-$BUILD_DIR/vm-churn} VM_TIMEOUT=${VM_TIMEOUT:-600} VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-300}
export VM_TESTS="$BIN/genl_fuzz -n $MESSAGES${CHURN_SEED:+ -s $CHURN_SEED}; $BIN/module_churn -l $LOADS -k $KVM_RELOADS /dirtyscope.ko"
exec vm/run.sh
