#!/usr/bin/env bash
# ctest vm.verdict_set (label unit, no VM): the verdict set's file and the
# counts behind run.sh's verdict line.
#  1. vm/verdict-set.txt covers what the patch check needs of the set (odd slots,
#     2 vCPUs, CPL0 and CPL3, hugetlb under logging, populate-then-log, each
#     run -M all) and reserves huge pages for its hugetlb runs;
#  2. vm/verdict-set.sh refuses a malformed file (exit 2, one line);
#  3. ktap_summary.py --programs/--counts splits a fabricated guest KTAP
#     into listed programs (passed, failed, missing) and the module suite,
#     and a diagnostic before a parent's result does not make it a leaf.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=check.sh
. "$ROOT/vm/check.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- 1. the real set -------------------------------------------------------
configs=$("$ROOT/vm/verdict-set.sh" configs) || { echo "FAIL: vm/verdict-set.sh configs"; exit 1; }
hp=$("$ROOT/vm/verdict-set.sh" hugepages)
runs() { grep -E -- "$1" <<<"$configs" | grep -vE -- "${2:-^$}" | grep -c .; }
check "every run is -M all" [ "$(grep -c . <<<"$configs")" -eq "$(runs '(^|[ |])-M all( |$)')" ]
# Odd slots: some run's -b in 4 KiB pages, split by -x, leaves a slot that
# is not a multiple of 64 pages.
odd=0
while IFS='|' read -r label args; do
  b=$(grep -oE -- '-b [0-9]+[KMG]' <<<"$args" | awk '{print $2}') || continue
  [[ -n $b && $args != *hugetlb* && $args != *thp* ]] || continue
  pages=$(( $(numfmt --from=iec "$b") / 4096 ))
  x=$(grep -oE -- '-x [0-9]+' <<<"$args" | awk '{print $2}'); x=${x:-1}
  per=$((pages / x)) last=$((pages - (x - 1) * (pages / x)))
  (( per % 64 || last % 64 )) && odd=$((odd + 1))
done <<<"$configs"
check "odd slots: a run whose slots end inside a bitmap word" [ "$odd" -ge 1 ]
check "2 vCPUs" [ "$(runs ' -v 2( |$)')" -ge 1 ]
check "CPL0" [ "$(runs ' -u 0( |$)')" -ge 1 ]
check "CPL3 (the default)" [ "$(runs '.' ' -u 0( |$)')" -ge 1 ]
check "hugetlb under logging" [ "$(runs 'hugetlb')" -ge 1 ]
check "populate-then-log (no --log-from-start)" [ "$(runs '.' 'log-from-start')" -ge 1 ]
check "huge pages reserved for the hugetlb runs" [ "$hp" -gt 0 ]

# --- 2. malformed files ------------------------------------------------------
bad() { # bad CONTENT EXPECTED-TEXT
  printf '%b' "$1" >"$tmp/set.txt"
  local err rc
  err=$(VERDICT_SET=$tmp/set.txt "$ROOT/vm/verdict-set.sh" configs 2>&1 >/dev/null); rc=$?
  [[ $rc -eq 2 && $(grep -c . <<<"$err") -eq 1 && $err == *"$2"* ]] ||
    { echo "  got exit $rc: $err"; return 1; }
}
check "unknown keyword is exit 2" bad 'hugepages 4\nrun a -M all\nwalk b -M all\n' "unknown keyword 'walk'"
check "a run without arguments is exit 2" bad 'run a\n' "needs a label and arguments"
check "a label used twice is exit 2" bad 'run a -M all\nrun a -M all -u 0\n' "used twice"
check "hugepages not a number is exit 2" bad 'hugepages many\nrun a -M all\n' "needs a number"
check "no runs is exit 2" bad '# nothing\n' "no 'run' lines"
check "';' in arguments is exit 2" bad 'run a -M all; rm x\n' "may not hold"

# --- 3. the counts behind the verdict line ----------------------------------
cat >"$tmp/guest.ktap" <<'KTAP'
KTAP version 1
1..6
ok 1 insmod
    KTAP version 1
    1..2
    ok 1 case a
    not ok 2 case b
not ok 2 module_test
    KTAP version 1
    1..2
    ok 1 dirty-log
    ok 2 clear-log
# took 3 s
ok 3 dirty_log_test -M all -b 16M
    KTAP version 1
    1..2
    ok 1 dirty-log
    not ok 2 clear-log
not ok 4 dirty_log_test -M all  -u 0
    ok 1 dirty-log # SKIP no
ok 5 dirty_log_test -M all -v 2 # SKIP nothing ran
KTAP
printf 'one\tdirty_log_test -M all -b 16M\ntwo\tdirty_log_test -M all -u 0\nthree\tdirty_log_test -M all -v 2\nfour\tdirty_log_test -M all -x 3\n' >"$tmp/programs.list"
python3 "$ROOT/vm/ktap_summary.py" --programs "$tmp/programs.list" --counts "$tmp/counts.sh" "$tmp/guest.ktap" >"$tmp/out"
rc=$?
check "summary exits 1 when something failed" [ "$rc" -eq 1 ]
# shellcheck disable=SC1091
. "$tmp/counts.sh"
check "programs: 1 of 4 passed" [ "$programs_total:$programs_passed" = 4:1 ]
check "programs: two failed, three skipped, four missing" \
  [ "$programs_failed|$programs_skipped|$programs_missing" = "two|three|four" ]
check "module suite: insmod and case a passed, case b failed" \
  [ "$suite_passed:$suite_failed:$suite_skipped" = 2:1:0 ]
check "overall line: a diagnostic before 'ok 3' does not make it a leaf" \
  grep -qx '5 passed, 3 failed, 1 skipped' "$tmp/out"

checks_done verdict_test
