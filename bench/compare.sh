#!/usr/bin/env bash
# `make bench-compare`: the kernel's own dirty_log_perf_test as a benchmark
# peer. Builds it from Debian's linux-source (vm/peer-build.sh: static,
# ucall without SSE), then runs it and our dirty_log_perf alternately at
# equal settings:
#   clear-log   the kernel's default (manual protect: get + clear) against
#               ours -M clear-log
#   dirty-log   the kernel's -g (GET only) against ours -M dirty-log -g
# and prints per-phase medians and ratios, ours over the kernel's
# (bench/compare_report.py). Without /dev/kvm the runs happen inside the
# nested VM (vm/run.sh).
#
# Usage: bench/compare.sh BUILD_DIR
# Environment: COMPARE_ROUNDS (5), COMPARE_MEM (256M), COMPARE_ITERS (3),
#   COMPARE_CPL (0: the kernel test's guest runs at CPL0), VM_TIMEOUT,
#   VM_SMP (2: guest CPUs of the nested VM; the kernel's test busy-waits,
#   its main thread for the vCPUs and each vCPU thread between passes, so
#   with one CPU each side's work shares it with a spinning thread).
# Output: $BUILD_DIR/bench/compare/{runs.log,report.txt,compare.json}, each
#   run's files in programs/ (vm/programs/ through the VM; bench/vm_results.py).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
build=$(realpath "${1:-build}")
out=$build/bench/compare
rounds=${COMPARE_ROUNDS:-5}
mem=${COMPARE_MEM:-256M}
iters=${COMPARE_ITERS:-3}
cpl=${COMPARE_CPL:-0}
mkdir -p "$out"
rm -f "$out/runs.log" "$out/compare.json"

peer=$out/dirty_log_perf_test
ours=$build/bin/dirty_log_perf
BUILD_DIR=$build vm/peer-build.sh dirty_log_perf_test "$peer"
[[ -x $ours ]] || { echo "bench-compare: $ours not built" >&2; exit 1; }

echo "== $rounds rounds: kernel dirty_log_perf_test vs dirty_log_perf, 1 vCPU, $mem, -i $iters, our CPL $cpl${VM_SMP:+, VM_SMP=$VM_SMP}"
# Alternately, at equal settings (bench/compare_report.py tells them apart
# by program and -g): the kernel's default (get + clear) against ours
# -M clear-log, the kernel's -g (GET only) against ours -M dirty-log -g. The
# order flips every round, so neither side always runs first.
kclear="$peer -v 1 -b $mem -i $iters"
oclear="$ours -M clear-log -v 1 -b $mem -i $iters -u $cpl --json @JSON@"
kget="$peer -g -v 1 -b $mem -i $iters"
oget="$ours -M dirty-log -g -v 1 -b $mem -i $iters -u $cpl --json @JSON@"
cmds=()
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then cmds+=("$kclear" "$oclear" "$kget" "$oget"); else cmds+=("$oclear" "$kclear" "$oget" "$kget"); fi
done
[[ -c /dev/kvm ]] || echo "== no /dev/kvm here: running inside the nested VM (vm/run.sh; console in $out/vm)"
# shellcheck source=programs.sh
. bench/programs.sh
BUILD_DIR=$build VM_SMP=${VM_SMP:-2} VM_TIMEOUT=${VM_TIMEOUT:-3600} VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-3000} \
  run_programs "$out" "${cmds[@]}"
python3 bench/compare_report.py "$PROGS" --json "$out/compare.json" | tee "$out/report.txt"
