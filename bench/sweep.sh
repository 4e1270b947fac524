#!/usr/bin/env bash
# `make bench`: a dirty_log_perf sweep sized for this machine (2 cores,
# 24 GiB; ~4 minutes), then `dirtyscope report` over it: a table and a plot
# of collection cost per mode against memory size and dirty fraction.
# Usage: bench/sweep.sh BUILD_DIR   (BENCH_SIZES, BENCH_FRACTIONS,
# BENCH_FRACTION_SIZE, BENCH_ITERATIONS override the defaults)
set -euo pipefail
build=${1:-build}
bin="$build/bin"
out="$build/bench"
sizes=${BENCH_SIZES:-"256M 512M 1G 2G 4G"}
fractions=${BENCH_FRACTIONS:-"4 16 64 256 1024 4096"}
fraction_size=${BENCH_FRACTION_SIZE:-1G}
iterations=${BENCH_ITERATIONS:-3}
mkdir -p "$out"
rm -f "$out"/perf-*.json

run() {  # run NAME ARGS...: one dirty_log_perf run, its table kept, JSON in $out
  local name=$1; shift
  echo "== dirty_log_perf $* --json $out/perf-$name.json"
  "$bin/dirty_log_perf" "$@" --json "$out/perf-$name.json" | sed -n '/^side by side/,$p'
}

# Every page dirty, growing memory: where bitmap cost (per page of memory)
# and ring cost (per dirty page) part ways.
for size in $sizes; do run "b$size-f1" -b "$size" -i "$iterations"; done
# One size, fewer pages dirty each step: where the ring overtakes.
for f in $fractions; do run "b$fraction_size-f$f" -b "$fraction_size" -f "$f" -i "$iterations"; done

echo "== dirtyscope report"
"$bin/dirtyscope" report -o "$out/crossover.png" "$out"/perf-*.json | tee "$out/report.txt"
