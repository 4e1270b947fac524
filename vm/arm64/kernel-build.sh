#!/usr/bin/env bash
# The arm64 patch check's kernel (`make vm-test ARCH=arm64 KERNEL=debian-7.2
# KVM_PATCHES=...`): arm64 KVM is built into the image, so a KVM patch needs
# the whole kernel rebuilt. Built from Debian's linux-source-7.2, the same
# version as sid's arm64 image, with the patches applied, cross-compiled by
# the compiler that image names (vm/toolchain.sh's sid root), with a
# trimmed configuration: `allnoconfig`, then Debian's own lines for the
# options listed in $inherit below, then vm/arm64/kernel.config (what the
# harness and dirtyscope.ko need; each of its lines must survive).
#
# Cache ($BUILD_DIR/kernels/arm64-7.2/): src/ the unpacked source, patched
# in place (the applied set in src/.dirtyscope-patches.patch, taken back
# out before another goes in); out/ the one O= tree. A patch touches a few
# files, so switching patch sets rebuilds those objects and relinks, and
# keeping one tree is what makes that incremental; out/.built holds the key
# (source version, config, patches) of what out/ holds.
#
# Usage: vm/arm64/kernel-build.sh [--check] KERNEL [PATCH...]
#        KERNEL: debian-7.2; no PATCH or an empty one (/dev/null) builds
#        Debian's source unchanged (the control). Prints KERNEL_*
#        assignments as vm/kernel.sh does (for eval); notes on stderr.
#        --check: only checks the arguments (before a run makes anything).
#        Env: BUILD_DIR, JOBS (2).
# Exit 2 (one line) on bad input or when the kernel cannot be built.
set -euo pipefail
WHO=arm64-kernel-build
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../apt.sh
. "$ROOT/vm/apt.sh"

check=0
[[ ${1:-} != --check ]] || { check=1; shift; }
[[ $# -ge 1 ]] || die "usage: vm/arm64/kernel-build.sh [--check] KERNEL [PATCH...]"
name=$1
shift
[[ $name == debian-7.2 ]] ||
  die "KVM_PATCHES on arm64 needs KERNEL=debian-7.2 (built from linux-source-7.2), not '$name'"
for p in "$@"; do
  [[ -r $p && ! -d $p ]] || die "KVM_PATCHES: '$p' not found"
done
((check == 0)) || exit 0

# Debian's image this kernel stands in for: its version, config, compiler
# and busybox.
eval "$(cd "$ROOT" && vm/kernel.sh --arch arm64 --headers "$name")"
debian_config=$KERNEL_CONFIG version=$KERNEL_VERSION busybox=$KERNEL_BUSYBOX
top=$BUILD_DIR/kernels/arm64-7.2
src=$top/src out=$top/out
mkdir -p "$top/debs" "$out"

# Debian's choices for what the results depend on, both the options it
# sets and those it leaves out: the CPU features KVM offers a guest, KVM
# itself, the page-table layout and huge pages, the preemption model and
# tick, and its debug options (the module suite checks the kernel log, so
# the checks that write to it must be Debian's).
inherit='^(# )?CONFIG_(ARM64_|KVM|PGTABLE_LEVELS|TRANSPARENT_HUGEPAGE|HUGETLB|PREEMPT|HZ|DEBUG_)'
grep -E "$inherit" "$debian_config" >"$top/debian.config" || die "no $inherit lines in $debian_config"
fragment=$ROOT/vm/arm64/kernel.config

key() { cat "$@" | sha256sum | cut -c1-16; }
want="$version config $(key "$top/debian.config" "$fragment") patches $(key "$@" /dev/null)"

tc=$(BUILD_DIR=$BUILD_DIR "$ROOT/vm/toolchain.sh" root "$debian_config" gcc-16-aarch64-linux-gnu flex bison bc) || exit 2
[[ -n $tc ]] || die "$debian_config names no compiler the private root provides"
cc=$(kernel_cc "$debian_config")
host_cc=${cc#aarch64-linux-gnu-}
kmake() {
  BUILD_DIR=$BUILD_DIR "$ROOT/vm/toolchain.sh" run "$tc" nice -n 5 make -C "$src" O="$out" ARCH=arm64 \
    CROSS_COMPILE=aarch64-linux-gnu- CC="$cc" HOSTCC="$host_cc" "$@"
}
# emit: the tree's KERNEL_* lines. The tree names its own toolchain, as
# Debian's headers do (its Makefile reads .kernelvariables), so a module
# built against it with `make -C out` needs no arguments (the private
# root's env -i keeps no MAKEFLAGS).
emit() {
  local abi
  printf 'override ARCH = arm64\noverride CROSS_COMPILE = aarch64-linux-gnu-\nCC = %s\nHOSTCC = %s\n' \
    "$cc" "$host_cc" >"$out/.kernelvariables"
  abi=$(kmake -s kernelrelease)
  printf 'KERNEL_NAME=%q\nKERNEL_ABI=%q\nKERNEL_IMAGE=%q\nKERNEL_MODDIR=\nKERNEL_KDIR=%q\n' \
    "$name-built" "$abi" "$out/arch/arm64/boot/Image" "$out"
  printf 'KERNEL_CONFIG=%q\nKERNEL_VERSION=%q\nKERNEL_SRC_DEB=\nKERNEL_BUSYBOX=%q\n' \
    "$out/.config" "$version" "$busybox"
}
if [[ -f $out/.built && $(cat "$out/.built") == "$want" ]]; then
  note "cached: linux-source-7.2 $version ($# patches) in $out"
  emit
  exit 0
fi

# A missing .deb comes from sid (whose arm64 image is this version).
[[ -f $top/debs/linux-source-7.2_${version//:/%3a}_all.deb ]] || apt_state "$BUILD_DIR/arm64/sid/apt" arm64 sid
apt_source_tree "$top/debs" linux-source-7.2 "$version" "$src" "$out"
mkdir -p "$out"

patch_source "$src" "$@"

t0=$SECONDS
rm -f "$out/.built"
# The configuration is made again only when what it comes from changed
# (another patch set keeps it, and the build stays incremental).
config_key=${want% patches *}
if [[ ! -f $out/.config-key || $(cat "$out/.config-key") != "$config_key" ]]; then
  rm -f "$out/.config-key"
  kmake -s allnoconfig >/dev/null
  BUILD_DIR=$BUILD_DIR "$ROOT/vm/toolchain.sh" run "$tc" "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
    "$out/.config" "$top/debian.config" "$fragment" >"$top/merge.log" 2>&1 ||
    die "merge_config failed (log: $top/merge.log)"
  kmake -s olddefconfig >/dev/null
  # Every line of the fragment must have survived olddefconfig: a missing
  # dependency would silently drop what the harness needs.
  config_kept "$out/.config" vm/arm64/kernel.config "$fragment"
  # Debian's lines may lose options this trimmed kernel lacks the base of
  # (errata of CPUs QEMU does not emulate, ACPI): listed, not fatal.
  config_differs "$out/.config" "$top/debian.config" >"$top/debian-lost.config"
  note "$(grep -c . "$top/debian.config") options as Debian sets them, $(grep -c . "$top/debian-lost.config" || true) of them unavailable here ($top/debian-lost.config)"
  echo "$config_key" >"$out/.config-key"
fi
note "building linux-source-7.2 $version for arm64 with $cc, -j${JOBS:-2} (log: $top/build.log)"
kmake -j "${JOBS:-2}" Image modules >"$top/build.log" 2>&1 ||
  { tail -n 20 "$top/build.log" >&2; die "kernel build failed (log: $top/build.log)"; }
echo "$want" >"$out/.built"
note "built in $((SECONDS - t0)) s"
emit
