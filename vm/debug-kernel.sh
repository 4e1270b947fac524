#!/usr/bin/env bash
# Builds the debug kernel (`make vm-test KERNEL=debug`): Debian's newest
# linux-source-7.2 with the detectors and what the harness needs, as
# vm/debug-kernel.config lists them (docs/kernels-and-vm-harness.md, "The
# debug kernel"). Cached in $BUILD_DIR/kernels/debug/ by source and config.
# Output: the tree in $BUILD_DIR/kernels/debug/out (arch/x86/boot/bzImage,
# Module.symvers) and its modules in $BUILD_DIR/kernels/debug/mods.
# Usage: vm/debug-kernel.sh [rt]   (env BUILD_DIR, JOBS; DEBUG_KERNEL_SUITE=sid,
#        DEBUG_KERNEL_FIXES=0 for the kernel without the fixes it carries)
# rt (`KERNEL=debug-rt`): the same detectors on PREEMPT_RT
# (vm/debug-kernel-rt.config on top), from the same source, built into
# $BUILD_DIR/kernels/debug-rt/.
set -euo pipefail
WHO=debug-kernel
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=apt.sh
. "$ROOT/vm/apt.sh"

# The source, its apt state and its fixes are shared by both flavours.
top=$BUILD_DIR/kernels/debug
K_FRAGMENTS=("$ROOT/vm/debug-kernel.config")
K_DIR=$top
case ${1:-} in
'') ;;
rt) K_DIR=$BUILD_DIR/kernels/debug-rt K_FRAGMENTS+=("$ROOT/vm/debug-kernel-rt.config") ;;
*) die "usage: vm/debug-kernel.sh [rt]" ;;
esac

"$ROOT/scripts/install-deps.sh" debugkernel >&2

linux_source "$top" 7.2 "${DEBUG_KERNEL_SUITE:-sid}"
# The fixes without which a detector misses bugs, or reports one of the
# kernel's own in about one boot of ten, or the verdict set fails on a
# known 7.2 bug (a finding each, as
# docs/findings/kmemleak-sheaf-stale-slots/). DEBUG_KERNEL_FIXES=0 builds the
# source as Debian ships it, each finding's "before"; switching rebuilds only
# what the fixes touch.
K_PATCHES=()
[[ ${DEBUG_KERNEL_FIXES:-1} == 0 ]] || K_PATCHES=("$ROOT/docs/findings/kmemleak-sheaf-stale-slots/fix.patch"
  "$ROOT/docs/findings/x86-la57-boot-irq-window/fix.patch" "$ROOT/docs/findings/dirty-ring-reset-eintr/fix.patch")
K_TOP=$top K_OUT=$K_DIR/out K_BUILT=$K_DIR/.built K_MODS=$K_DIR/mods
K_BASE="defconfig kvm_guest.config" K_INHERIT='' K_TARGETS="bzImage modules" K_KEY_WORDS=('' fixes)
JOBS=${JOBS:-$(nproc)} build_kernel
