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

# --fit: three runs along memory (1 vCPU, 1 slot, every page dirty) whose
# dirty-log collect is 1000 ns + 2 ns per page; --json only with --fit.
for pages in 65536 262144 1048576; do
  t=$((1000 + 2 * pages))
  it="{\"collect_ns\":$t,\"collect_kernel_ns\":$t,\"collect_user_ns\":0,\"pages_collected\":$pages}"
  printf '%s\n' "{\"tool\":\"dirty_log_perf\",\"config\":{\"total_bytes\":$((pages * 4096)),\"bytes_per_vcpu\":$((pages * 4096)),\"vcpus\":1,\"memslots\":1,\"write_fraction\":1},\"modes\":[{\"mode\":\"dirty-log\",\"result\":\"ok\",\"iterations\":[$it,$it],\"median\":{\"collect_ns\":$t,\"pages_collected\":$pages}}]}" >"$dir/s$pages.json"
done
"$bin" report --json "$dir/fit.json" "$dir"/s*.json 2>"$dir/err"; check test $? -eq 2
check test "$(wc -l <"$dir/err")" -eq 1
"$bin" report --fit --json "$dir/fit.json" "$dir"/s*.json >"$dir/out"; check test $? -eq 0
check grep -q 'ns/page of memory' "$dir/out"
check grep -Eq '^dirty-log +collect +1 \+- ' "$dir/out"  # the fixed 1 us
check grep -q '"tool":"dirtyscope report"' "$dir/fit.json"
"$bin" report --fit "$dir/a.json" 2>/dev/null; check test $? -eq 1  # no iterations: not a scale run

if command -v gnuplot >/dev/null; then
  "$bin" report --fit -o "$dir/scale.png" "$dir"/s*.json >/dev/null; check test $? -eq 0
  check test -s "$dir/scale.png"
  "$bin" report -o "$dir/plot.png" "$dir/a.json" "$dir/b.json" >/dev/null; check test $? -eq 0
  check test -s "$dir/plot.png"
  "$bin" report -o "$dir/plot.svg" "$dir/a.json" "$dir/b.json" >/dev/null; check test $? -eq 0
  check grep -q '<svg' "$dir/plot.svg"
else
  echo "report_cli_test: gnuplot not installed: plot checks not run"
fi
echo "report_cli_test: $passes passed, $fails failed"
[[ $fails -eq 0 ]]
