#!/usr/bin/env bash
# `make bench-ring-share`: is dirty_log_perf's ring collection in userspace
# at most 1.5x the microbenchmark's harvest of the same number of entries?
# Both run in one machine, alternately, RING_SHARE_ROUNDS
# (5) times: dirty_log_perf -M dirty-ring -b 256M -i 5 (65536 entries per
# iteration) and dirtyscope_microbench's BM_RingHarvest/65536 (into a page
# list: the protocol alone) and BM_RingCollect/65536 (the real recorder into
# a DirtySet, ring in cache and evicted). Without /dev/kvm that machine is
# the nested VM, where every side runs under the same emulation.
# Usage: bench/ring-share.sh BUILD_DIR
# Output: $BUILD_DIR/bench/ring-share/{runs.log,report.txt}, each run's
#   files in programs/ (vm/programs/ through the VM; bench/vm_results.py)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
build=$(realpath "${1:-build}")
out=$build/bench/ring-share
rounds=${RING_SHARE_ROUNDS:-5}
perf=$build/bin/dirty_log_perf micro=$build/bin/dirtyscope_microbench
for p in "$perf" "$micro"; do [[ -x $p ]] || { echo "bench-ring-share: $p not built" >&2; exit 1; }; done
mkdir -p "$out"
# Alternately, ROUNDS times: dirty_log_perf's ring mode at 256 MiB (65536
# entries per iteration) and the microbenchmark's harvest of the same
# count, so their ratio compares like with like; each writes its JSON.
cmds=()
for ((r = 1; r <= rounds; r++)); do
  cmds+=("$perf -M dirty-ring -b 256M -i 5 --json @JSON@"
    "$micro --benchmark_filter=BM_RingHarvest/entries:65536|BM_RingCollect/entries:65536 --benchmark_out=@JSON@ --benchmark_out_format=json")
done
[[ -c /dev/kvm ]] || echo "== no /dev/kvm here: running inside the nested VM (vm/run.sh; console in $out/vm)"
# shellcheck source=programs.sh
. bench/programs.sh
BUILD_DIR=$build VM_TIMEOUT=${VM_TIMEOUT:-3600} VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-3000} run_programs "$out" "${cmds[@]}"
python3 bench/ring_share_report.py "$PROGS" | tee "$out/report.txt"
