#!/usr/bin/env bash
# vm/matrix_report.py on fabricated run folders (ctest vm.matrix_report, no
# VM): mode rows are read at vm/run.sh's depth and at the arm64 runner's
# one "#" deeper; a must-fail twin's failing row (`expect !`) is not the
# mode's failure, a must-run program's is; bad usage is exit 2.
set -uo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=check.sh
. "$(dirname "$0")/check.sh"
report() { python3 "$(dirname "$0")/matrix_report.py" "$tmp/m.json" "$@"; }
mkdir -p "$tmp/x86" "$tmp/arm" "$tmp/armbad"
cat >"$tmp/x86/guest.ktap" <<'KTAP'
# running: /tests/dirty_log_test -M all -b 16M
    # dirty-log          pass        4         1000         1100          0          0     1.5s
    # clear-log          pass        4         1000         1100          0          0     2.5s
    ok 5 ring-with-bitmap # SKIP KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP not supported
KTAP
echo "vm-test verdict: PASS (x)" >"$tmp/x86/verdict.txt"
cat >"$tmp/arm/guest.ktap" <<'KTAP'
# running: /bin/expect = - /tests/bin/dirty_log_test -M all -b 16M -i 3
#   # dirty-ring         pass        3         12176        12580          0          0     8.9s
# running: /bin/expect ! missed /tests/bin/dirty_log_test -M dirty-ring -s anonymous_hugetlb
#   # dirty-ring         fail        0             0            8          0          0     0.1s
KTAP
echo "vm-test verdict: PASS (arm64 short suite)" >"$tmp/arm/verdict.txt"
sed 's/expect ! missed/expect = -/' "$tmp/arm/guest.ktap" >"$tmp/armbad/guest.ktap"
echo "vm-test verdict: FAIL" >"$tmp/armbad/verdict.txt"

check "x86 rows and a skip with its reason" exits 0 'k1 +x86_64 +pass 2s +pass 2s .*skip' report "k1:x86_64:10:$tmp/x86"
check "arm64 rows one # deeper; a must-fail twin's row is not a failure" exits 0 'k2 +arm64 +no run +no run +pass 9s' report "k2:arm64:10:$tmp/arm"
check "a must-run program's failing row fails the cell" exits 1 'k3 +arm64 +no run +no run +fail 9s' report "k3:arm64:10:$tmp/armbad"
check "a spec that is not KERNEL:ARCH:SECONDS:RUN_DIR is bad usage" exits 2 'is not KERNEL:ARCH' report "k4:arm64"
checks_done matrix_report
