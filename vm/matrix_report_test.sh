#!/usr/bin/env bash
# vm/matrix_report.py on fabricated run folders (ctest vm.matrix_report, no
# VM): mode rows are read at vm/run.sh's depth and at the arm64 runner's
# one "#" deeper; a must-fail twin's failing row (`expect !`) is not the
# mode's failure, a must-run program's is; bad usage is exit 2.
set -uo pipefail
report=$(dirname "$0")/matrix_report.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {  # check NAME WANT_EXIT WANT_PATTERN SPEC...
  local name=$1 want=$2 pattern=$3 out rc=0
  shift 3
  out=$(python3 "$report" "$tmp/m.json" "$@" 2>&1) || rc=$?
  if [[ $rc == "$want" ]] && grep -qE -- "$pattern" <<<"$out"; then
    echo "ok - $name"
  else
    echo "not ok - $name (exit $rc, want $want; output: ${out//$'\n'/ | })"
    fails=$((fails + 1))
  fi
}
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

check "x86 rows and a skip with its reason" 0 'k1 +x86_64 +pass 2s +pass 2s .*skip' "k1:x86_64:10:$tmp/x86"
check "arm64 rows one # deeper; a must-fail twin's row is not a failure" 0 'k2 +arm64 +no run +no run +pass 9s' "k2:arm64:10:$tmp/arm"
check "a must-run program's failing row fails the cell" 1 'k3 +arm64 +no run +no run +fail 9s' "k3:arm64:10:$tmp/armbad"
check "a spec that is not KERNEL:ARCH:SECONDS:RUN_DIR is bad usage" 2 'is not KERNEL:ARCH' "k4:arm64"
((fails == 0)) && echo "matrix_report: all passed" || echo "matrix_report: $fails failed"
((fails == 0))
