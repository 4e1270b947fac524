#!/usr/bin/env bash
# Overhead of the BPF statistics programs on the dirty-tracking workload:
# dirty_log_perf without and with --stats, interleaved (A B A B ...) so
# machine noise hits both alike, then the ratio of medians per mode.
# Usage: bench/stats_overhead.sh [BUILD_DIR] [ROUNDS] [dirty_log_perf args...]
set -euo pipefail
build=${1:-build}
rounds=${2:-3}
shift $(( $# >= 2 ? 2 : $# ))
args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=(-M all -b 1G -i 3)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for r in $(seq 1 "$rounds"); do
  "$build/bin/dirty_log_perf" "${args[@]}" --json "$out/off-$r.json" >/dev/null
  if ! "$build/bin/dirty_log_perf" "${args[@]}" --stats --json "$out/on-$r.json" >"$out/on.log" 2>&1; then
    echo "stats_overhead: dirty_log_perf --stats could not run: $(tail -1 "$out/on.log")" >&2
    exit 4
  fi
done

python3 - "$out" "$rounds" "${args[*]}" <<'PY'
import json, statistics, sys
out, rounds, args = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def samples(kind):
    per_mode = {}
    for r in range(1, rounds + 1):
        for m in json.load(open(f"{out}/{kind}-{r}.json"))["modes"]:
            if m["result"] != "ok":
                continue
            s = per_mode.setdefault(m["mode"], {"dirty_ns": [], "collect_ns": []})
            for it in m["iterations"]:
                s["dirty_ns"].append(it["dirty_ns"])
                s["collect_ns"].append(it["collect_ns"])
    return per_mode
off, on = samples("off"), samples("on")
print(f"dirty_log_perf {args}: {rounds} rounds each, without/with --stats (bpf), medians")
print(f"{'mode':<12} {'dirty off':>11} {'dirty on':>11} {'ratio':>7} {'collect off':>12} {'collect on':>11} {'ratio':>7}")
for mode in off:
    a, b = off[mode], on.get(mode)
    if not b:
        continue
    d0, d1 = statistics.median(a["dirty_ns"]), statistics.median(b["dirty_ns"])
    c0, c1 = statistics.median(a["collect_ns"]), statistics.median(b["collect_ns"])
    print(f"{mode:<12} {d0/1e6:>9.1f}ms {d1/1e6:>9.1f}ms {d1/d0:>6.3f}x {c0/1e6:>10.2f}ms {c1/1e6:>9.2f}ms {c1/c0:>6.3f}x")
PY
