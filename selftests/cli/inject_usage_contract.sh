#!/usr/bin/env bash
# Every program with --inject: a fault that cannot fire in the chosen mode
# (or without the option it needs) is a usage error, exit 2, one line on
# stderr naming why, nothing on stdout. All of it is decided while parsing
# the command line, before /dev/kvm is opened, so this runs on any host;
# stdout staying empty shows that no KTAP run had started.
# The runs where each fault can fire (exit 1) are live: the live suites'
# twins and dirty_log_test_contract.sh.
# Usage: inject_usage_contract.sh DIRTY_LOG_TEST SPP_TEST DIRTYSCOPE DIRTY_LOG_PERF
set -u
dlt=$1 spp=$2 ds=$3 perf=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# usage NAME PATTERN -- COMMAND...: exit 2, one stderr line matching PATTERN.
usage() {
  local name=$1 pattern=$2
  shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [[ $got -ne 2 || -s $tmp/out || $(wc -l <"$tmp/err") -ne 1 ]] || ! grep -qE -- "$pattern" "$tmp/err"; then
    echo "not ok - $name: exit $got (want 2, one line matching '$pattern', empty stdout)"
    sed 's/^/    /' "$tmp/out" "$tmp/err" | tail -8
    failures=$((failures + 1))
  else
    echo "ok - $name"
  fi
}

# dirty_log_test: ring faults in bitmap modes, skip-clear in ring modes.
for mode in dirty-log clear-log; do
  for inj in skip-reset wrong-slot hide-ring; do
    usage "dirty_log_test -M $mode --inject $inj" \
      "^dirty_log_test: --inject $inj cannot fire in $mode: only dirty-ring, dirty-ring-wait, ring-with-bitmap have it$" \
      -- "$dlt" -M "$mode" --inject "$inj"
  done
done
for mode in dirty-ring dirty-ring-wait ring-with-bitmap; do
  usage "dirty_log_test -M $mode --inject skip-clear" \
    "^dirty_log_test: --inject skip-clear cannot fire in $mode: only dirty-log, clear-log have it$" \
    -- "$dlt" -M "$mode" --inject skip-clear
done
usage "dirty_log_test unknown fault" "unknown fault 'gremlins'" -- "$dlt" --inject gremlins

# spp_test: forget-applied-page needs dirty logging (-M).
usage "spp_test --inject forget-applied-page without -M" \
  '^spp_test: --inject forget-applied-page cannot fire without dirty logging: add -M MODE or -M all$' \
  -- "$spp" --inject forget-applied-page
usage "spp_test unknown fault" "unknown fault 'nope'" -- "$spp" --inject nope

# dirtyscope migrate: skip-reset needs a ring (harvest and reset apart).
usage "migrate -M dirty-log --inject skip-reset" \
  'skip-reset cannot fire in dirty-log: KVM_GET_DIRTY_LOG re-protects as it harvests' \
  -- "$ds" migrate -M dirty-log --inject skip-reset
usage "migrate -M clear-log --inject skip-reset" 'skip-reset cannot fire in clear-log: a skipped KVM_CLEAR_DIRTY_LOG' \
  -- "$ds" migrate -M clear-log --inject skip-reset
usage "migrate -M dirty-ring,dirty-log --inject skip-reset" 'skip-reset cannot fire in dirty-log' \
  -- "$ds" migrate -M dirty-ring,dirty-log --inject skip-reset
usage "migrate unknown fault" "unknown fault 'lose-everything'" -- "$ds" migrate --inject lose-everything

# dirty_log_perf: drop-dirty acts in every mode; nothing else exists there.
for inj in skip-reset wrong-slot; do
  usage "dirty_log_perf --inject $inj" "--inject: '$inj' unknown here \(dirty_log_perf has drop-dirty\)" \
    -- "$perf" --inject "$inj"
done

# --help says what -M all does with a fault.
"$dlt" -h | grep -q -- '-M all runs only the modes that' && echo "ok - dirty_log_test -h explains -M all --inject" ||
  { echo "not ok - dirty_log_test -h explains -M all --inject"; failures=$((failures + 1)); }
"$ds" migrate --help | grep -q -- '-M all runs only the ring modes' && echo "ok - migrate --help explains -M all --inject" ||
  { echo "not ok - migrate --help explains -M all --inject"; failures=$((failures + 1)); }
[[ $failures -eq 0 ]]
