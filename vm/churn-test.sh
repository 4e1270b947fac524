#!/usr/bin/env bash
# Module churn and in-kernel genl fuzzing in the nested VM: ctest vm.module_churn and `make churn`. Builds kmod/tests/genl_fuzz
# and kmod/tests/module_churn (kmod/tests/build.sh, as every module test
# program is built), then boots the usual
# harness (vm/run.sh: the module's own tests first) with both as VM_TESTS:
#   genl_fuzz -n CHURN_MESSAGES [-s CHURN_SEED]
#   module_churn -l CHURN_LOADS -k CHURN_KVM_RELOADS /dirtyscope.ko
# Environment: BUILD_DIR (build), CHURN_MESSAGES (100000), CHURN_LOADS (100),
# CHURN_KVM_RELOADS (4), CHURN_SEED (default: the fuzzer picks and prints
# one), VM_OUT ($BUILD_DIR/vm-churn), VM_TIMEOUT (600), VM_TEST_TIMEOUT (300).
# Exit status: vm/run.sh's (0 only if every result passed or skipped).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
BIN=$BUILD_DIR/vm-churn-bin
MESSAGES=${CHURN_MESSAGES:-100000}
LOADS=${CHURN_LOADS:-100}
KVM_RELOADS=${CHURN_KVM_RELOADS:-4}
for v in MESSAGES LOADS KVM_RELOADS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "churn-test: CHURN_$v='${!v}' is not a number" >&2; exit 2; }
done

scripts/install-deps.sh kmod vm
kmod/tests/build.sh gcc "$BIN" genl_fuzz module_churn

export BUILD_DIR
export VM_OUT=${VM_OUT:-$BUILD_DIR/vm-churn}
export VM_TIMEOUT=${VM_TIMEOUT:-600}
export VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-300}
export VM_TESTS="$BIN/genl_fuzz -n $MESSAGES${CHURN_SEED:+ -s $CHURN_SEED}; $BIN/module_churn -l $LOADS -k $KVM_RELOADS /dirtyscope.ko"
exec vm/run.sh
