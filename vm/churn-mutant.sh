#!/usr/bin/env bash
# The churn test's negative twin on a real module: vm/churn-test.sh, at a
# small size, on dirtyscope.ko built from a copy of the committed tree with
# a planted leak (vm/churn-mutants/, default vm-free-skips-vcpus.patch)
# must fail both leak checks (docs/kernels-and-vm-harness.md, "Module churn").
# Usage: vm/churn-mutant.sh [PATCH]   (env BUILD_DIR)
# Exit 0: the mutant was caught; 1: it survived; 2: it did not build/apply.
set -euo pipefail
WHO=churn-mutant
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
patch_file=$(realpath "${1:-$ROOT/vm/churn-mutants/vm-free-skips-vcpus.patch}")
# Its own build directory: the mutant module must not replace the real one.
MBUILD=$BUILD_DIR/churn-mutant
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT

git -C "$ROOT" archive HEAD | tar -x -C "$src"
patch -s -p1 -d "$src" <"$patch_file" || die "$patch_file does not apply"
mkdir -p "$MBUILD"
rc=0
BUILD_DIR=$MBUILD VM_OUT=$MBUILD/vm CHURN_MESSAGES=${CHURN_MESSAGES:-5000} \
  CHURN_LOADS=${CHURN_LOADS:-5} CHURN_KVM_RELOADS=${CHURN_KVM_RELOADS:-1} \
  "$src/vm/churn-test.sh" >"$MBUILD/run.log" 2>&1 || rc=$?
ktap=$MBUILD/vm/guest.ktap
if [[ ! -s $ktap ]]; then
  tail -20 "$MBUILD/run.log" >&2
  die "no guest KTAP (build failed?)"
fi
caught=0
for check in 'not ok [0-9]+ allocations == frees at every unload' \
  'not ok [0-9]+ VMs gone: live allocations back'; do
  if line=$(grep -E -m1 "$check" "$ktap"); then
    echo "churn-mutant: caught: ${line#"${line%%[! ]*}"}"
    caught=$((caught + 1))
  else
    echo "churn-mutant: NOT caught: /$check/ (vm-test exit $rc)" >&2
  fi
done
grep -E -m1 'first unbalanced' "$ktap" | sed 's/^ */churn-mutant: /' || true
((caught == 2)) && ((rc != 0))
