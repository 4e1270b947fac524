#!/usr/bin/env bash
# `make bench-migrate`: the dirty ring series' comparison at this machine's
# scale. dirtyscope migrate runs bitmap and ring modes across memory sizes,
# dirty rates and bandwidth caps, several times each; `dirtyscope report`
# prints the medians per configuration and mode, ring/bitmap ratios of
# migration time, downtime and collection time, and plots convergence.
# Without /dev/kvm (this host is itself a guest) the runs happen inside the
# nested VM (vm/run.sh) and their JSON comes back in its KTAP output.
# Usage: bench/migrate_bench.sh BUILD_DIR
#   MIGRATE_SIZES ("16M 64M"), MIGRATE_DIRTY (pages per period: "64 512"),
#   MIGRATE_BANDWIDTH (MB/s, 0 = unlimited: "0 100"), MIGRATE_REPEATS (3),
#   MIGRATE_MODES (dirty-log,clear-log,dirty-ring,dirty-ring-wait),
#   MIGRATE_VCPUS (2)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
out="$build/bench/migrate"
sizes=${MIGRATE_SIZES:-"16M 64M"}
rates=${MIGRATE_DIRTY:-"64 512"}
caps=${MIGRATE_BANDWIDTH:-"0 100"}
repeats=${MIGRATE_REPEATS:-3}
modes=${MIGRATE_MODES:-dirty-log,clear-log,dirty-ring,dirty-ring-wait}
vcpus=${MIGRATE_VCPUS:-2}
mkdir -p "$out"
rm -f "$out"/migrate-*.json

runs=()
for size in $sizes; do
  for rate in $rates; do
    for cap in $caps; do
      for seed in $(seq 1 "$repeats"); do
        runs+=("$build/bin/dirtyscope migrate -M $modes -b $size -v $vcpus --dirty-pages $rate --bandwidth $cap --seed $seed --json -")
      done
    done
  done
done
echo "== ${#runs[@]} runs of dirtyscope migrate -M $modes ($sizes; dirty pages $rates; MB/s $caps; x$repeats)"

# Keeps the JSON line of each run's output as migrate-N.json.
collect_json() {
  local n=0
  while IFS= read -r line; do
    n=$((n + 1))
    printf '%s\n' "$line" >"$out/migrate-$n.json"
  done < <(sed -n 's/^[[:space:]]*\({"tool":"dirtyscope migrate".*\)$/\1/p' "$1")
  echo "== $n result files in $out"
}

if [[ -c /dev/kvm ]]; then
  : >"$out/runs.log"
  for cmd in "${runs[@]}"; do
    echo "== $cmd" | tee -a "$out/runs.log"
    $cmd >>"$out/runs.log" || echo "   (a mode failed: see $out/runs.log)"
  done
  collect_json "$out/runs.log"
else
  echo "== no /dev/kvm here: running inside the nested VM (vm/run.sh; console in $out/vm)"
  tests=$(printf '%s; ' "${runs[@]}")
  VM_MODULE_SUITE=0 BUILD_DIR=$build VM_OUT="$out/vm" VM_TIMEOUT=${VM_TIMEOUT:-3600} VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-900} \
    VM_TESTS="${tests%; }" vm/run.sh >"$out/vm.log" 2>&1 || echo "   (the VM run reported failures: see $out/vm.log)"
  collect_json "$out/vm/guest.ktap"
fi

echo "== dirtyscope report"
"$build/bin/dirtyscope" report -o "$out/convergence.png" "$out"/migrate-*.json | tee "$out/report.txt"
