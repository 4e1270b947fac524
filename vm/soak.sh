#!/usr/bin/env bash
# `make soak`: dirty_log_test in every mode with seeds 1..SOAK_RUNS at CPL3
# and CPL0 in one nested-VM boot, then a mode x CPL table of passes,
# failures and skips (vm/soak_table.py; docs/kernels-and-vm-harness.md, "Soak").
# Environment: BUILD_DIR (build), SOAK_RUNS (20), SOAK_MEM (16M),
# SOAK_OUT ($BUILD_DIR/soak), SOAK_CPLS ("3 0"), SOAK_ARGS (the run's shape
# in place of "-b $SOAK_MEM -i 4 -I 10", e.g. "-M dirty-ring -v 2 -s shmem
# -b 16396K -i 8 -I 20"); KERNEL and the other vm/run.sh knobs pass through.
# Exit 0 when nothing failed; bad input is one line on stderr and exit 2.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${SOAK_RUNS:-20}
MEM=${SOAK_MEM:-16M}
OUT=${SOAK_OUT:-$BUILD_DIR/soak}
CPLS=${SOAK_CPLS:-3 0}
SHAPE=${SOAK_ARGS:--b $MEM -i 4 -I 10}
DLT=$BUILD_DIR/bin/dirty_log_test
usage() { echo "soak: $*" >&2; exit 2; }
[[ -x $DLT ]] || usage "$DLT not built (make build)"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || usage "SOAK_RUNS must be a positive number"
[[ $CPLS =~ ^[[:space:]]*[03]([[:space:]]+[03])*[[:space:]]*$ ]] ||
  usage "SOAK_CPLS must be CPLs 3 and/or 0 separated by spaces, not '$CPLS'"
# The soak owns the seed and the CPL, and ';' would split the guest's
# program list; everything else is dirty_log_test's to judge: -h parses the
# whole command line (exit 2 and one line on a bad flag) and runs nothing.
for word in $SHAPE; do
  case $word in
    --seed | --seed=* | -u*) usage "SOAK_ARGS: '$word' is the soak's own (SOAK_RUNS sets the seeds, SOAK_CPLS the CPLs)" ;;
    *\;*) usage "SOAK_ARGS: ';' is not allowed ('$word')" ;;
  esac
done
# shellcheck disable=SC2086 # SHAPE is a list of flags
if ! err=$("$DLT" $SHAPE -h 2>&1 >/dev/null); then
  usage "SOAK_ARGS: ${err#dirty_log_test: }"
fi

tests=""
ncpl=0
for cpl in $CPLS; do ncpl=$((ncpl + 1)); done
for seed in $(seq 1 "$RUNS"); do
  for cpl in $CPLS; do
    tests+="$DLT -M all -u $cpl $SHAPE --seed $seed; "
  done
done
mkdir -p "$OUT"
# One program at a time; each run is small, the limit generous.
rc=0
VM_MODULE_SUITE=0 BUILD_DIR=$BUILD_DIR VM_OUT=$OUT/vm VM_TEST_TIMEOUT=300 VM_TIMEOUT=$((120 + RUNS * ncpl * 120)) \
  VM_TESTS="$tests" vm/run.sh >"$OUT/run.log" 2>&1 || rc=$?
if [[ ! -s $OUT/vm/guest.ktap ]]; then
  # Nothing ran in the guest: say why (vm/run.sh's verdict line) and fail.
  echo "soak: no guest results; $(tail -n1 "$OUT/run.log")" >&2
  exit 1
fi
python3 vm/soak_table.py "$OUT/vm/guest.ktap" || rc=1
exit $rc
