#!/usr/bin/env bash
# ctest vm.kselftest_install: the kselftest layout (scripts/kselftest-install.sh)
# booted as VM_STAGE_DIR; the kernel's run_kselftest.sh must report one "ok"
# per kselftest-list.txt entry, no "not ok", no whole-test SKIP, and vm/run.sh
# must pass. Environment: BUILD_DIR (build); VM_OUT ($BUILD_DIR/vm-kselftest).
set -euo pipefail
WHO=kselftest-test
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
DEST=$BUILD_DIR/kselftest
export VM_OUT=${VM_OUT:-$BUILD_DIR/vm-kselftest}
start=$SECONDS

rm -rf "$DEST"
BUILD_DIR=$BUILD_DIR scripts/kselftest-install.sh "$DEST"
want=$(grep -c . "$DEST/kselftest-list.txt")

rc=0
# The kselftest tree is what is tested here: the module is loaded, its own
# suite does not run.
VM_MODULE_SUITE=0 BUILD_DIR=$BUILD_DIR VM_STAGE_DIR=$DEST VM_TESTS= vm/run.sh || rc=$?

# The runner's own results: "ok N selftests: COLLECTION: TEST", nested
# (indented) under the init.sh step in the guest KTAP.
KTAP=$VM_OUT/guest.ktap
ok=$(grep -cE '^ +ok [0-9]+ selftests: ' "$KTAP" || true)
notok=$(grep -cE '^ +not ok [0-9]+ selftests: ' "$KTAP" || true)
# The guest has KVM: a whole test skipping means it did not really run.
skip=$(grep -cE '^ +ok [0-9]+ selftests: .*# SKIP' "$KTAP" || true)
echo "kselftest-test: run_kselftest.sh reported $ok ok ($skip skipped), $notok not ok of $want listed tests; $((SECONDS - start)) s in all"
((ok == want && notok == 0 && skip == 0)) || { echo "kselftest-test: FAIL: every listed test must be ok, none skipped" >&2; rc=1; }
exit "$rc"
