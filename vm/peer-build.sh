#!/usr/bin/env bash
# Builds the kernel's own KVM selftest dirty_log_test from the same
# linux-source tree vm/kvm-build.sh prepares (never from files in this
# repository), statically linked so it runs in the busybox initramfs. Used
# by `make mutants PEER=1` to put the kernel test's verdicts beside ours.
#
# Usage: vm/peer-build.sh OUTPUT   (e.g. build/kvm-selftests/kvm_dirty_log_test)
# Environment: BUILD_DIR, KVM_SRC_CACHE as for vm/kvm-build.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[[ $# -eq 1 ]] || { echo "peer-build: usage: vm/peer-build.sh OUTPUT" >&2; exit 2; }
OUTPUT=$1
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
CACHE=${KVM_SRC_CACHE:-$BUILD_DIR/kvm-src}

# Fetches and prepares the tree if needed (unpatched modules: cached).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
BUILD_DIR=$BUILD_DIR "$ROOT/vm/kvm-build.sh" "$scratch"
TREE=$(dirname "$(ls -d "$CACHE"/linux-source-*/.dirtyscope-prepared | head -n1)")
export GIT_CEILING_DIRECTORIES=$CACHE

exec 9>"$CACHE/.lock"   # the same lock as kvm-build.sh: one user of the tree
flock 9
t0=$SECONDS
log=$CACHE/peer-build.log
SELFTESTS=$TREE/tools/testing/selftests/kvm
{
  # The selftests include the uapi headers installed into $TREE/usr/include.
  make -C "$TREE" -s headers_install &&
    make -C "$SELFTESTS" -j"$(nproc)" EXTRA_CFLAGS=-static "$SELFTESTS/dirty_log_test"
} >"$log" 2>&1 || {
  tail -n 30 "$log" >&2
  echo "peer-build: building the kernel's dirty_log_test failed (log: $log)" >&2
  exit 1
}
mkdir -p "$(dirname "$OUTPUT")"
cp "$SELFTESTS/dirty_log_test" "$OUTPUT"
echo "peer-build: kernel selftest dirty_log_test built in $((SECONDS - t0)) s -> $OUTPUT" >&2
