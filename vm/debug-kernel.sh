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
src=$top/src
fragments=("$ROOT/vm/debug-kernel.config")
flavour=$top
case ${1:-} in
'') ;;
rt) flavour=$BUILD_DIR/kernels/debug-rt fragments+=("$ROOT/vm/debug-kernel-rt.config") ;;
*) die "usage: vm/debug-kernel.sh [rt]" ;;
esac
out=$flavour/out mods=$flavour/mods
mkdir -p "$top/debs" "$flavour"

"$ROOT/scripts/install-deps.sh" debugkernel >&2

linux_source "$top" 7.2 "${DEBUG_KERNEL_SUITE:-sid}"
version=$SRC_VERSION
# The fixes without which a detector misses bugs, or reports one of the
# kernel's own in about one boot of ten, or the verdict set fails on a
# known 7.2 bug (a finding each, as
# docs/findings/kmemleak-sheaf-stale-slots/). DEBUG_KERNEL_FIXES=0 builds the
# source as Debian ships it, each finding's "before"; switching rebuilds only
# what the fixes touch.
fixes=()
[[ ${DEBUG_KERNEL_FIXES:-1} == 0 ]] || fixes=("$ROOT/docs/findings/kmemleak-sheaf-stale-slots/fix.patch"
  "$ROOT/docs/findings/x86-la57-boot-irq-window/fix.patch" "$ROOT/docs/findings/dirty-ring-reset-eintr/fix.patch")
want="$version $(cat "${fragments[@]}" | sha256sum | cut -c1-16) fixes $(cat ${fixes[@]+"${fixes[@]}"} /dev/null | sha256sum | cut -c1-16)"
if [[ -f $flavour/.built && $(cat "$flavour/.built") == "$want" ]]; then
  note "cached: linux-source-7.2 $version with ${fragments[*]##*/} in $flavour"
  exit 0
fi

linux_source_unpack "$top" "$src" "$out"

patch_source "$src" ${fixes[@]+"${fixes[@]}"}

t0=$SECONDS
# Every option the fragments ask for must survive olddefconfig (a
# dependency it lacks would silently drop a detector): kernel_config checks.
kernel_config "$src" "$out" "defconfig kvm_guest.config" "$flavour/merge.log" "${fragments[@]}"
note "building 7.2 $version with the detectors on${1:+ ($1)} (log: $flavour/build.log)"
kernel_build "$src" "$out" "$flavour/build.log" bzImage modules
rm -rf "$mods"
make -s -C "$src" O="$out" INSTALL_MOD_PATH="$mods" modules_install >/dev/null
echo "$want" >"$flavour/.built"
note "built in $((SECONDS - t0)) s"
