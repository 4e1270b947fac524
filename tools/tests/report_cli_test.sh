#!/usr/bin/env bash
# `dirtyscope report` as a user runs it: usage errors exit 2 with one line,
# unreadable input exits 1, a real file prints the table, and with gnuplot
# installed -o writes a non-empty PNG and SVG (without gnuplot those
# checks are reported as not run).
set -uo pipefail
bin=${1:?usage: report_cli_test.sh PATH_TO_dirtyscope}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0 passes=0
check() { if "$@"; then passes=$((passes + 1)); else echo "FAIL: $*"; fails=$((fails + 1)); fi; }

"$bin" report 2>"$dir/err"; check test $? -eq 2
check test "$(wc -l <"$dir/err")" -eq 1
"$bin" report --bogus x.json 2>/dev/null; check test $? -eq 2
"$bin" report "$dir/missing.json" 2>/dev/null; check test $? -eq 1
"$bin" report -h | grep -q 'USAGE: dirtyscope report'; check test $? -eq 0

cat >"$dir/a.json" <<'JSON'
{"tool":"dirty_log_perf","config":{"total_bytes":268435456,"write_fraction":1},"modes":[
 {"mode":"dirty-log","result":"ok","median":{"collect_ns":400000,"collect_kernel_ns":390000,"collect_user_ns":10000,"pages_collected":65536}},
 {"mode":"dirty-ring","result":"ok","median":{"collect_ns":3400000,"collect_kernel_ns":600000,"collect_user_ns":2800000,"pages_collected":65536}}]}
JSON
sed -e 's/"write_fraction":1/"write_fraction":64/' -e 's/3400000/90000/' "$dir/a.json" >"$dir/b.json"
"$bin" report "$dir/a.json" "$dir/b.json" >"$dir/out"; check test $? -eq 0
check grep -q 'dirty-ring/dl' "$dir/out"
check grep -q '8.50x' "$dir/out"

if command -v gnuplot >/dev/null; then
  "$bin" report -o "$dir/plot.png" "$dir/a.json" "$dir/b.json" >/dev/null; check test $? -eq 0
  check test -s "$dir/plot.png"
  "$bin" report -o "$dir/plot.svg" "$dir/a.json" "$dir/b.json" >/dev/null; check test $? -eq 0
  check grep -q '<svg' "$dir/plot.svg"
else
  echo "report_cli_test: gnuplot not installed: plot checks not run"
fi
echo "report_cli_test: $passes passed, $fails failed"
[[ $fails -eq 0 ]]
