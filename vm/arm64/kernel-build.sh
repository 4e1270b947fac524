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
# Cache ($BUILD_DIR/kernels/arm64-7.2/): one source patched in place and
# one O= tree, out/, as vm/lib.sh build_kernel keeps them: switching patch
# sets rebuilds only the objects they touch.
#
# Usage: vm/arm64/kernel-build.sh KERNEL [PATCH...]
#        KERNEL: debian-7.2; no PATCH or an empty one (/dev/null) builds
#        Debian's source unchanged (the control). Prints KERNEL_*
#        assignments as vm/kernel.sh does (for eval); notes on stderr.
#        Env: BUILD_DIR, JOBS (2).
# Exit 2 (one line) on bad input or when the kernel cannot be built.
set -euo pipefail
WHO=arm64-kernel-build
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../apt.sh
. "$ROOT/vm/apt.sh"

[[ $# -ge 1 ]] || die "usage: vm/arm64/kernel-build.sh KERNEL [PATCH...]"
name=$1
shift
[[ $name == debian-7.2 ]] ||
  die "KVM_PATCHES on arm64 needs KERNEL=debian-7.2 (built from linux-source-7.2), not '$name'"
patch_paths KVM_PATCHES: "$@"

# Debian's image this kernel stands in for: its version, config, compiler
# and busybox.
eval "$(cd "$ROOT" && vm/kernel.sh --arch arm64 --headers "$name")"
debian_config=$KERNEL_CONFIG busybox=$KERNEL_BUSYBOX
K_TOP=$BUILD_DIR/kernels/arm64-7.2 SRC_PKG=linux-source-7.2 SRC_VERSION=$KERNEL_VERSION
K_DIR=$K_TOP K_OUT=$K_TOP/out K_BUILT=$K_TOP/out/.built K_MODS='' K_TARGETS="Image modules"
mkdir -p "$K_TOP"

# Debian's choices for what the results depend on, both the options it
# sets and those it leaves out: the CPU features KVM offers a guest, KVM
# itself, the page-table layout and huge pages, the preemption model and
# tick, and its debug options (the module suite checks the kernel log, so
# the checks that write to it must be Debian's). Lines this trimmed kernel
# lacks the base of (errata of CPUs QEMU does not emulate, ACPI) are
# listed, not fatal.
inherit='^(# )?CONFIG_(ARM64_|KVM|PGTABLE_LEVELS|TRANSPARENT_HUGEPAGE|HUGETLB|PREEMPT|HZ|DEBUG_)'
grep -E "$inherit" "$debian_config" >"$K_TOP/debian.config" || die "no $inherit lines in $debian_config"
K_BASE=allnoconfig K_INHERIT=$K_TOP/debian.config K_FRAGMENTS=("$ROOT/vm/arm64/kernel.config")
K_PATCHES=(${PATCHES[@]+"${PATCHES[@]}"}) K_KEY_WORDS=(config patches)

tc=$(BUILD_DIR=$BUILD_DIR "$ROOT/vm/toolchain.sh" root "$debian_config" gcc-16-aarch64-linux-gnu flex bison bc) || exit 2
[[ -n $tc ]] || die "$debian_config names no compiler the private root provides"
cc=$(kernel_cc "$debian_config")
host_cc=${cc#aarch64-linux-gnu-}
K_TOOLCHAIN=$tc K_MAKE_ARGS=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC="$cc" HOSTCC="$host_cc")
# A missing .deb comes from sid (whose arm64 image is this version).
apt_state "$BUILD_DIR/arm64/sid/apt" arm64 sid "$(apt_mirror)"
JOBS=${JOBS:-2} build_kernel
abi=$(kernel_make -s kernelrelease)

# The tree's KERNEL_* lines. The tree names its own toolchain, as Debian's
# headers do (its Makefile reads .kernelvariables), so a module built
# against it with `make -C out` needs no arguments (the private root's env
# -i keeps no MAKEFLAGS).
printf 'override ARCH = arm64\noverride CROSS_COMPILE = aarch64-linux-gnu-\nCC = %s\nHOSTCC = %s\n' \
  "$cc" "$host_cc" >"$K_OUT/.kernelvariables"
printf 'KERNEL_NAME=%q\nKERNEL_ABI=%q\nKERNEL_IMAGE=%q\nKERNEL_MODDIR=\nKERNEL_KDIR=%q\n' \
  "$name-built" "$abi" "$K_OUT/arch/arm64/boot/Image" "$K_OUT"
printf 'KERNEL_CONFIG=%q\nKERNEL_VERSION=%q\nKERNEL_SRC_DEB=\nKERNEL_BUSYBOX=%q\n' \
  "$K_OUT/.config" "$KERNEL_VERSION" "$busybox"
