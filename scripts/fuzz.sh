#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of fuzz/ in their own clang
# build directory (ASan + UBSan + coverage everywhere), runs each for
# FUZZ_SECONDS on a scratch copy of its seed corpus (fuzz/corpus/<target>;
# the repository's corpus never grows), one at a time (FUZZ_PARALLEL at
# once), and prints per target the executions, exec/s and whether it found
# anything.
# Usage: scripts/fuzz.sh BUILD_DIR [TARGET...]   (env FUZZ_SECONDS, JOBS,
# FUZZ_PARALLEL, FUZZ_CORPUS_ROOT: where the <target> corpus folders are,
# fuzz/corpus)
# Exit 0: no finding; 1: a finding (the crashing input's path is printed);
# 2: the build or a run's output was not what this script expects.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: fuzz.sh BUILD_DIR [TARGET...]}
shift
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(kmod_reply json options kvm_stats)
seconds=${FUZZ_SECONDS:-60}
parallel=${FUZZ_PARALLEL:-1}
if [[ ! $parallel =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: FUZZ_PARALLEL must be a whole number of at least 1, not '$parallel'" >&2
  exit 2
fi
jobs=${JOBS:-$(nproc)}
corpus_root=${FUZZ_CORPUS_ROOT:-$here/fuzz/corpus}

# Configured every time (seconds): a target added since the last run is
# unknown to the generated makefiles until then.
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$here" -B "$build" -DDS_WERROR=ON -DDS_CCACHE=ON -DFUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
else
  cmake -S "$here" -B "$build" -DDS_WERROR=ON -DDS_CCACHE=ON >/dev/null
fi
cmake --build "$build" -j "$jobs" --target "${targets[@]/#/fuzz_}" >/dev/null

# Not $build/fuzz: that is CMake's binary directory of fuzz/.
out=$build/fuzz-runs
mkdir -p "$out"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# One target's run: prints its table row; returns 1 on a finding, 2 when
# its log lacks libFuzzer's final statistics or its files cannot be made.
run_target() {
  local t=$1 rc=0 execs rate verdict input
  local corpus=$scratch/$t art=$out/$t log=$out/$t.log
  cp -r "$corpus_root/$t" "$corpus" && rm -rf "$art" && mkdir -p "$art" || return 2
  echo "fuzz: $t for ${seconds}s (log $log)" >&2
  # -close_fd_mask=1: the parsers print --help text to stdout; reports go
  # to stderr. -timeout: one input taking this long is a hang, a finding.
  "$build/bin/fuzz_$t" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
    -close_fd_mask=1 -artifact_prefix="$art/" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [[ -z $execs || -z $rate ]]; then
    echo "fuzz: $t: no final statistics in $log (exit $rc)" >&2
    tail -20 "$log" >&2
    return 2
  fi
  # slow-unit-* files are only notes; crash-, leak-, oom- and timeout-
  # inputs come with a nonzero exit.
  verdict="none"
  if [[ $rc -ne 0 ]]; then
    input=$(ls "$art"/{crash,leak,oom,timeout}-* 2>/dev/null | head -1 || true)
    verdict="FOUND (exit $rc): ${input:-see $log}"
    grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" >&2 || true
  fi
  printf '%-12s %14s %10s  %s\n' "$t" "$execs" "$rate" "$verdict"
  [[ $rc -eq 0 ]] || return 1
}

# FUZZ_PARALLEL targets run at once (default 1: one at a time); each
# writes its row and status to files, so the table keeps the target order.
for t in "${targets[@]}"; do
  while [[ $(jobs -rp | wc -l) -ge $parallel ]]; do wait -n || true; done
  (
    rc=0
    run_target "$t" >"$scratch/$t.row" || rc=$?
    echo "$rc" >"$scratch/$t.rc"
  ) &
done
wait

status=0
for t in "${targets[@]}"; do
  rc=$(cat "$scratch/$t.rc")
  [[ $rc -eq 2 ]] && exit 2
  [[ $rc -eq 1 ]] && status=1
done
printf '%-12s %14s %10s  %s\n' target executions exec/s finding
for t in "${targets[@]}"; do cat "$scratch/$t.row"; done
exit $status
