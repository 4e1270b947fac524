#!/usr/bin/env bash
# Builds the kernel's own KVM selftest dirty_log_perf_test from the
# linux-source tree vm/kvm-build.sh prepares (never from files in this
# repository), statically linked so it runs in the VM's busybox initramfs.
# Used by `make bench-compare` (bench/compare.sh) to run the kernel's test
# beside our dirty_log_perf.
#
# The objects go to a directory of ours (the selftests' OUTPUT=), so the
# shared source tree is only read: several builds may share one cache.
#
# No-SSE ucall: the guest half of the selftest library is compiled with the
# host's flags, and gcc zeroes `struct ucall` in ucall() with SSE stores
# (pxor/movups). A host whose KVM emulates CPL0 guest code without SSE
# (the PVM backend this project was developed on) stops the guest there.
# lib/x86_64/ucall.o is therefore built first with -mgeneral-regs-only
# (integers only: ucall() needs nothing else); make then finds it up to date
# and links it into libkvm. PEER_SSE=1 builds it as the kernel does.
#
# Usage: vm/perf-peer-build.sh OUTPUT   (e.g. build/bench/compare/dirty_log_perf_test)
# Environment: BUILD_DIR, KVM_SRC_CACHE as for vm/kvm-build.sh; PEER_SSE.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[[ $# -eq 1 ]] || { echo "perf-peer-build: usage: vm/perf-peer-build.sh OUTPUT" >&2; exit 2; }
OUTPUT=$1
[[ $OUTPUT = /* ]] || OUTPUT=$PWD/$OUTPUT
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
CACHE=${KVM_SRC_CACHE:-$BUILD_DIR/kvm-src}

# Downloads and prepares the tree once per version (cached), prints its path.
TREE=$(BUILD_DIR=$BUILD_DIR KVM_SRC_CACHE=$CACHE "$ROOT/vm/kvm-build.sh" --tree)
SELFTESTS=$TREE/tools/testing/selftests/kvm
[[ -f $SELFTESTS/dirty_log_perf_test.c ]] || {
  echo "perf-peer-build: no dirty_log_perf_test.c in $SELFTESTS" >&2; exit 1; }
OBJ=$(dirname "$OUTPUT")/peer-obj
mkdir -p "$OBJ"
log=$OBJ/build.log
t0=$SECONDS
# Our make's command-line variables must not reach the kernel's makefiles.
unset MAKEFLAGS MFLAGS MAKELEVEL
ucall_flags="-static -mgeneral-regs-only"
[[ ${PEER_SSE:-0} == 1 ]] && ucall_flags="-static"
{
  exec 9>"$CACHE/.lock"   # kvm-build.sh's lock: headers_install writes the tree
  flock 9
  # The selftests include the uapi headers installed into $TREE/usr/include.
  [[ -f $TREE/usr/include/linux/kvm.h ]] || make -C "$TREE" -s headers_install
  flock -u 9
  rm -f "$OBJ/lib/x86_64/ucall.o"
  make -C "$SELFTESTS" OUTPUT="$OBJ" EXTRA_CFLAGS="$ucall_flags" \
    "$OBJ/lib/x86_64/ucall.o" &&
    make -C "$SELFTESTS" -j"$(nproc)" OUTPUT="$OBJ" EXTRA_CFLAGS="-static" \
      "$OBJ/dirty_log_perf_test"
} >"$log" 2>&1 || {
  tail -n 30 "$log" >&2
  echo "perf-peer-build: building the kernel's dirty_log_perf_test failed (log: $log)" >&2
  exit 1
}
# The proof that the fix is in: no SSE register in the linked ucall().
if [[ ${PEER_SSE:-0} != 1 ]] &&
   objdump -d --no-show-raw-insn "$OBJ/dirty_log_perf_test" |
     awk '/^[0-9a-f]+ <ucall>:/{f=1;next} /^$/{f=0} f' | grep -q '%xmm'; then
  echo "perf-peer-build: ucall() still uses SSE registers" >&2; exit 1
fi
cp "$OBJ/dirty_log_perf_test" "$OUTPUT"
echo "perf-peer-build: kernel selftest dirty_log_perf_test built in $((SECONDS - t0)) s -> $OUTPUT" >&2
