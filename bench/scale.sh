#!/usr/bin/env bash
# `make bench-scale`: how collection cost grows with memory, dirty pages,
# vCPUs and memslots. One dirty_log_perf -M all run per
# point of four curves, each varying one thing from a common base:
#   memory     SCALE_SIZES (256M 1G 4G 16G), every page dirty
#   dirty      SCALE_FRACTIONS (8 64 512 4096: -f N, 1/N of the pages
#              written) at SCALE_FRACTION_SIZE (4G)
#   vcpus      SCALE_VCPUS (2 4) at SCALE_VCPU_SIZE (1G) per vCPU
#   slots      SCALE_SLOTS (2 4 8) over SCALE_SLOT_SIZE (1G)
# with SCALE_ITERS (3) iterations and SCALE_BACKING (anonymous_hugetlb:
# populating 16 GiB a 4 KiB fault at a time would take most of the run),
# then `dirtyscope report --fit` over all of it: per mode, collect time
# fitted as a per-page-of-memory, per-dirty-page, per-vCPU and per-slot
# cost with standard errors, and the curves as tables and a plot.
# Without /dev/kvm the runs happen in the nested VM (vm/run.sh), sized for
# the largest point: VM_SMP 2, huge pages reserved at boot for the test
# memory, VM_MEM that plus 3 GiB.
# Usage: bench/scale.sh BUILD_DIR
# Output: $BUILD_DIR/bench/scale/{plan.txt,runs.log,scale-NAME.json,
#   report.txt,scale.png}
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
build=$(realpath "${1:-build}")
out=$build/bench/scale
perf=$build/bin/dirty_log_perf
sizes=${SCALE_SIZES:-"256M 1G 4G 16G"}
fractions=${SCALE_FRACTIONS:-"8 64 512 4096"}
fraction_size=${SCALE_FRACTION_SIZE:-4G}
vcpus=${SCALE_VCPUS:-"2 4"}
vcpu_size=${SCALE_VCPU_SIZE:-1G}
slots=${SCALE_SLOTS:-"2 4 8"}
slot_size=${SCALE_SLOT_SIZE:-1G}
iters=${SCALE_ITERS:-3}
backing=${SCALE_BACKING:-anonymous_hugetlb}
[[ -x $perf ]] || { echo "bench-scale: $perf not built" >&2; exit 1; }

mib() {  # mib SIZE: a K/M/G size in MiB (at least 1)
  local n=${1%[KkMmGg]} unit=${1: -1}
  [[ $n =~ ^[0-9]+$ ]] || { echo "bench-scale: '$1' is not a size like 256M or 4G" >&2; exit 2; }
  case $unit in
    G|g) echo $((n * 1024)) ;; M|m) echo "$n" ;; K|k) echo $(((n + 1023) / 1024)) ;;
    *) echo "bench-scale: '$1' is not a size like 256M or 4G" >&2; exit 2 ;;
  esac
}

mkdir -p "$out"
rm -f "$out"/scale-*.json "$out/runs.log"
plan=$out/plan.txt
: >"$plan"
largest=0
add() {  # add NAME TOTAL_MIB ARGS...: one point of the plan
  local name=$1 total=$2; shift 2
  echo "$name $* -M all -i $iters -s $backing" >>"$plan"
  ((total > largest)) && largest=$total
  return 0
}
# Small to large within each curve, cheapest curves first: a run that
# outgrows the machine fails last, after the rest is on record.
for f in $fractions; do add "f$f-b$fraction_size" "$(mib "$fraction_size")" -b "$fraction_size" -f "$f"; done
for x in $slots; do add "x$x-b$slot_size" "$(mib "$slot_size")" -b "$slot_size" -x "$x"; done
for v in $vcpus; do add "v$v-b$vcpu_size" $(($(mib "$vcpu_size") * v)) -b "$vcpu_size" -v "$v"; done
for s in $sizes; do add "b$s" "$(mib "$s")" -b "$s"; done
echo "== $(wc -l <"$plan") runs of dirty_log_perf -M all -i $iters -s $backing (plan: $plan); largest ${largest} MiB"

# One program a point: bench/scale-guest.sh PERF NAME @JSON@ ARGS.
mapfile -t cmds < <(sed "s|^\([^ ]*\)|$ROOT/bench/scale-guest.sh $perf \1 @JSON@|" "$plan")
hugepages=0 mem=
if [[ ! -c /dev/kvm ]]; then
  [[ $backing == *hugetlb* ]] && hugepages=$((largest / 2 + 64))
  mem=$((largest + 3072))M
  echo "== no /dev/kvm here: running inside the nested VM (vm/run.sh, ${mem} RAM, $hugepages huge pages; console in $out/vm)"
  # The guest touches all of its huge pages. A host without that much
  # memory free reclaims its own page cache (QEMU's code among it) for
  # the whole run, which then crawls instead of failing: say so up front.
  want=$(mib "${VM_MEM:-$mem}")
  avail=$(($(awk '/^MemAvailable:/ {print $2}' /proc/meminfo) / 1024))
  ((avail >= want + 1024)) ||
    echo "   warning: the VM gets ${want} MiB but only ${avail} MiB is available here; expect the sweep to crawl (stop other VMs, or set SCALE_SIZES without the largest point)" >&2
fi
# shellcheck source=programs.sh
. bench/programs.sh
BUILD_DIR=$build VM_SMP=${VM_SMP:-2} VM_MEM=${VM_MEM:-$mem} VM_HUGEPAGES=${VM_HUGEPAGES:-$hugepages} \
  VM_TIMEOUT=${VM_TIMEOUT:-10800} VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-5400} VM_FILES="$perf" \
  run_programs "$out" "${cmds[@]}"

# Each run's JSON (bench/vm_results.py), kept as scale-NAME.json.
n=0
while IFS=$'\t' read -r _ json cmd; do
  read -r _ _ name _ <<<"$cmd"
  [[ $json == - ]] || { cp "$json" "$out/scale-$name.json"; n=$((n + 1)); }
done < <(python3 bench/vm_results.py list "$PROGS")
echo "== $n result files in $out"
((n > 0)) || { echo "bench-scale: no results (see $out/runs.log)" >&2; exit 1; }
"$build/bin/dirtyscope" report --fit -o "$out/scale.png" "$out"/scale-*.json | tee "$out/report.txt"
