#!/usr/bin/env bash
# ctest vm.stuck_guest: a guest whose program never ends must fail the run
# as timed out and leave an account of what it was doing (vm/boot.sh
# stuck_report): its CPU's registers and the program's backtrace, asleep
# where it sleeps. Environment: BUILD_DIR (build); VM_OUT ($BUILD_DIR/vm-stuck).
set -euo pipefail
WHO="stuck-test"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=check.sh
. "$ROOT/vm/check.sh"
cd "$ROOT"
export VM_OUT=${VM_OUT:-$BUILD_DIR/vm-stuck}
mkdir -p "$VM_OUT"
sleeper=$VM_OUT/never-ends.sh
printf '#!/bin/sh\nexec sleep 100000\n' >"$sleeper"
chmod +x "$sleeper"
# 60 s: a boot reaches its programs in a few seconds, even on a busy host.
limit=60
out=$(VM_MODULE_SUITE=0 VM_TIMEOUT=$limit VM_TESTS=$sleeper BUILD_DIR=$BUILD_DIR vm/run.sh 2>&1) || true
echo "$out" | tail -n 30
check "the run fails as timed out" grep -q "verdict: FAIL.*QEMU timed out after ${limit}s" <<<"$out"
# Else the checks below would fail for a slow host, not for the report.
check "the guest reached the program within the ${limit} s limit (if not: a host too busy for this test)" \
  grep -q '^# running: /tests/never-ends.sh' "$VM_OUT/guest.ktap"
stuck=$VM_OUT/stuck.txt
check "its CPU's registers are kept" grep -q '^RIP=' "$stuck"
check "the program's backtrace shows it asleep" \
  awk '/^task:/ { t = /^task:sleep / } t && /nanosleep/ { f = 1 } END { exit !f }' "$stuck"
check "the run's report shows the account" grep -q "what the guest was doing at the limit" <<<"$out"
checks_done stuck-test
