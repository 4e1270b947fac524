#!/usr/bin/env bash
# `make soak`: dirty_log_test in every mode with seeds 1..SOAK_RUNS at CPL3
# and CPL0 in one nested-VM boot, then a mode x CPL table of passes,
# failures and skips (vm/soak_table.py; docs/kernels-and-vm-harness.md, "Soak").
# Environment: BUILD_DIR (build), SOAK_RUNS (20), SOAK_MEM (16M),
# SOAK_OUT ($BUILD_DIR/soak). Exit 0 when nothing failed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${SOAK_RUNS:-20}
MEM=${SOAK_MEM:-16M}
OUT=${SOAK_OUT:-$BUILD_DIR/soak}
DLT=$BUILD_DIR/bin/dirty_log_test
[[ -x $DLT ]] || { echo "soak: $DLT not built (make build)" >&2; exit 2; }
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || { echo "soak: SOAK_RUNS must be a positive number" >&2; exit 2; }

tests=""
for seed in $(seq 1 "$RUNS"); do
  for cpl in 3 0; do
    tests+="$DLT -M all -u $cpl -b $MEM -i 4 -I 10 --seed $seed; "
  done
done
mkdir -p "$OUT"
# One program at a time; each run is small, the limit generous.
rc=0
VM_MODULE_SUITE=0 BUILD_DIR=$BUILD_DIR VM_OUT=$OUT/vm VM_TEST_TIMEOUT=300 VM_TIMEOUT=$((120 + RUNS * 2 * 120)) \
  VM_TESTS="$tests" vm/run.sh >"$OUT/run.log" 2>&1 || rc=$?
python3 vm/soak_table.py "$OUT/vm/guest.ktap" || rc=1
exit $rc
