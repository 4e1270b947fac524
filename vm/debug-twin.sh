#!/usr/bin/env bash
# The negative twin of the debug kernel's verdict (`make vm-debug-twin`):
# KERNEL=debug boots with dirtyscope_planted.ko (kmod/tests/planted/, one
# bug per detector), and vm/debug_reports.py must find exactly the planted
# detectors' reports. A "0 reports" verdict means something only then.
# Exit 0: every planted bug reported; 1: one was missed; 2: could not run.
set -euo pipefail
WHO=debug-twin
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
BUILD_DIR=$BUILD_DIR vm/debug-kernel.sh
tree=$BUILD_DIR/kernels/debug/out
planted=$BUILD_DIR/kernels/debug/planted
rm -rf "$planted" && mkdir -p "$planted"
cp kmod/tests/planted/Kbuild kmod/tests/planted/planted.c "$planted/"
make -s -C "$tree" M="$planted" modules >"$planted/build.log" 2>&1 ||
  { cat "$planted/build.log" >&2; die "dirtyscope_planted.ko did not build"; }
rc=0
VM_OUT=$BUILD_DIR/vm/debug-twin KERNEL=debug VM_MODULE_SUITE=0 VM_MEM=${VM_MEM:-2G} \
  VM_FILES="$planted/dirtyscope_planted.ko" \
  VM_TESTS="$ROOT/kmod/tests/planted/plant-all.sh $planted/dirtyscope_planted.ko" \
  BUILD_DIR=$BUILD_DIR vm/run.sh >"$planted/run.log" 2>&1 || rc=$?
# The run itself must fail (its kernel log is not clean): only the
# detectors' counts decide here.
console=$BUILD_DIR/vm/debug-twin/console.log
[[ -f $console ]] || { tail -n 20 "$planted/run.log" >&2; die "no console log (run exit $rc)"; }
python3 vm/debug_reports.py "$console" --expect lockdep KASAN kmemleak atomic-sleep
