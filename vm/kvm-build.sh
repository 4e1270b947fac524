#!/usr/bin/env bash
# Rebuilds kvm.ko, kvm-amd.ko and kvm-intel.ko for the guest kernel (KERNEL,
# vm/kernel.sh: a Debian one) from Debian's linux-source of the image's
# version, with PATCHes applied (vm/lib.sh patch_source): a KVM patch or a
# mutant (vm/mutants/) is tested without building a kernel.
# Cache, steps and exit codes: docs/kernels-and-vm-harness.md, "How kvm.ko
# is rebuilt".
# Usage: vm/kvm-build.sh OUTDIR [PATCH...]   OUTDIR/{kvm,kvm-amd,kvm-intel}.ko
#          and OUTDIR/patches.txt ("NAME sha256:HASH" a patch)
#        vm/kvm-build.sh --tree   only prepares the tree, unpatched, and prints its path
set -euo pipefail

WHO=kvm-build
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=apt.sh
. "$ROOT/vm/apt.sh"
TREE_ONLY=0
[[ ${1:-} == --tree && $# -eq 1 ]] && set -- "$(mktemp -d)" && TREE_ONLY=1 && trap 'rmdir "$OUTDIR"' EXIT
[[ $# -ge 1 ]] || die "usage: vm/kvm-build.sh OUTDIR [PATCH...] | --tree"
OUTDIR=$1
shift
patch_paths patch "$@"
mkdir -p "$OUTDIR"
OUTDIR=$(realpath "$OUTDIR")

CACHE=${KVM_SRC_CACHE:-$BUILD_DIR/kvm-src}
mkdir -p "$CACHE"
CACHE=$(realpath "$CACHE")
JOBS=$(nproc)

# flex, bison, bc, libelf... (idempotent; installs only what is missing).
"$ROOT/scripts/install-deps.sh" kvmsrc >&2
kernel_vars=$(BUILD_DIR=$BUILD_DIR "$ROOT/vm/kernel.sh" ${KERNEL:+"$KERNEL"}) || exit $?
eval "$kernel_vars"
[[ $KERNEL_NAME == debian-* && -z $KERNEL_BUSYBOX ]] ||
  die "KVM_PATCHES needs an x86-64 Debian kernel (debian-6.1, debian-6.12, debian-7.2, debian-experimental), not KERNEL=${KERNEL:-$KERNEL_NAME}: apply the patches to your tree and rebuild it"
[[ -f $KERNEL_CONFIG && -f $KERNEL_KDIR/Module.symvers ]] ||
  die "guest kernel config/headers for '$KERNEL_ABI' missing (run scripts/install-deps.sh kmod vm)"
[[ -n $KERNEL_VERSION ]] || die "cannot tell the version of linux-image-$KERNEL_ABI"
# The source package's series, from the image's version: 6.12.95-1~bpo12+1
# -> 6.12, 7.3~rc7-1~exp1 -> 7.3.
SERIES=$(grep -oE '^[0-9]+\.[0-9]+' <<<"$KERNEL_VERSION") || die "cannot tell the series of version $KERNEL_VERSION"
SRC_PKG=linux-source-$SERIES
TREE=$CACHE/$SRC_PKG-$KERNEL_VERSION
STAMP=$TREE/.dirtyscope-prepared
STAMP_TEXT="$SRC_PKG $KERNEL_VERSION $KERNEL_ABI"
KMAKE=()
# A kernel built by a GCC the host lacks (7.x: gcc-16) is rebuilt in the
# private toolchain root (vm/toolchain.sh), with what a tree build needs
# (kconfig: flex, bison; resolve_btfids: python3; sign-file: libssl).
TOOLCHAIN=$(BUILD_DIR=$BUILD_DIR "$ROOT/vm/toolchain.sh" root "$KERNEL_CONFIG" bc flex bison libssl-dev python3) || exit 2
# The root has only the versioned compiler (no plain gcc) for both roles.
[[ -z $TOOLCHAIN ]] || KMAKE+=(CC="$(kernel_cc "$KERNEL_CONFIG")" HOSTCC="$(kernel_cc "$KERNEL_CONFIG")")
# After 6.1 the image's BTF options stay (they change struct module's size,
# which the loader checks): a pahole stub keeps them in Kconfig, -g0 fast.
if [[ $SERIES != 6.1 ]]; then
  KMAKE+=(PAHOLE="$CACHE/pahole-stub" KCFLAGS=-g0)
  STAMP_TEXT="$STAMP_TEXT btf-config-kept"
  pahole_ver=$(sed -n 's/^CONFIG_PAHOLE_VERSION=//p' "$KERNEL_CONFIG")
  printf '#!/bin/sh\n# kvm-build.sh: stands in for pahole in Kconfig only\necho v%s.%s\n' \
    "${pahole_ver:0:1}" "${pahole_ver:1}" >"$CACHE/pahole-stub"
  chmod +x "$CACHE/pahole-stub"
fi
kmake() { toolchain_make "$TOOLCHAIN" -C "$TREE" ${KMAKE[@]+"${KMAKE[@]}"} "$@"; }
# One user of the tree at a time; a second run says what it waits for.
exec 9>"$CACHE/.lock"
lock 9 "another kvm build in ${CACHE#"$ROOT"/}"

# --- 1. fetch -----------------------------------------------------------
fetch_source() {
  local debs=$CACHE/debs deb=$CACHE/debs/${SRC_PKG}_${KERNEL_VERSION//:/%3a}_all.deb
  if [[ $KERNEL_NAME != debian-6.1 ]]; then
    # From the same private apt state the image came from (vm/kernel.sh).
    (eval "$(BUILD_DIR=$BUILD_DIR "$ROOT/vm/kernel.sh" --source "$KERNEL_NAME")" && echo "$KERNEL_SRC_DEB")
    return
  fi
  mkdir -p "$debs"
  if [[ ! -f $deb ]]; then
    note "downloading $SRC_PKG=$KERNEL_VERSION (same version as linux-image-$KERNEL_ABI)"
    # As root apt drops to _apt for downloads, which cannot write here. A
    # fresh machine's lists may be old: refresh once, then give up.
    get() { (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$SRC_PKG=$KERNEL_VERSION" >&2); }
    get || { [[ $(id -u) -eq 0 ]] && apt-get update -qq >&2 || true; get; } ||
      die "$SRC_PKG=$KERNEL_VERSION (the guest image's version) is not available from apt; cannot rebuild kvm.ko"
  fi
  echo "$deb"
}

# --- 2. extract and prepare (once per version) --------------------------
prepare_tree() {
  local t0=$SECONDS
  note "preparing $TREE (once per version)"
  rm -rf "$TREE"
  apt_unpack_source "$1" "$TREE"
  note "extracted in $((SECONDS - t0)) s"
  cp "$KERNEL_CONFIG" "$TREE/.config"
  cp "$KERNEL_KDIR/Module.symvers" "$TREE/Module.symvers"
  # Debian's trusted-key files are not in the source package; 6.1: debug
  # info and BTF off (10x faster).
  local cfg=(--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "")
  [[ $SERIES != 6.1 ]] || cfg+=(--disable DEBUG_INFO --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
    --disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_DWARF5 --disable DEBUG_INFO_BTF
    --disable DEBUG_INFO_BTF_MODULES --enable DEBUG_INFO_NONE)
  (cd "$TREE" && scripts/config "${cfg[@]}")
  kmake -s olddefconfig >"$CACHE/prepare.log" 2>&1 &&
    kmake -s -j"$JOBS" modules_prepare KERNELRELEASE="$KERNEL_ABI" >>"$CACHE/prepare.log" 2>&1 || {
    tail -n 30 "$CACHE/prepare.log" >&2; note "preparing the kernel tree failed (log: $CACHE/prepare.log)"; exit 1; }
  if [[ $SERIES != 6.1 ]] && ! grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$TREE/.config" &&
    grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$KERNEL_CONFIG"; then
    note "the prepared config lost CONFIG_DEBUG_INFO_BTF_MODULES: its modules would not load"; exit 1
  fi
  echo "$STAMP_TEXT" >"$STAMP"
  note "prepared in $((SECONDS - t0)) s"
}

if [[ ! -f $STAMP || $(cat "$STAMP") != "$STAMP_TEXT" ]]; then
  prepare_tree "$(fetch_source)"
fi
# --tree: the source as Debian ships it.
((TREE_ONLY)) && { patch_source "$TREE"; echo "$TREE"; exit 0; }

# --- 3. patch, build, copy out ---------------------------------------
# The result depends only on the tree and the patches' content.
key=$( { echo "$STAMP_TEXT"; for p in "${PATCHES[@]}"; do sha256sum <"$p"; done; } |
  sha256sum | cut -c1-16)
RESULT=$CACHE/out/$key
write_patch_list() {
  local p
  for p in "${PATCHES[@]}"; do
    echo "$(basename "$p") sha256:$(sha256sum <"$p" | cut -c1-12)"
  done >"$1/patches.txt"
}

if [[ ! -f $RESULT/kvm.ko ]]; then
  t0=$SECONDS
  # The tree keeps them until another set comes (patch_source).
  patch_source "$TREE" ${PATCHES[@]+"${PATCHES[@]}"}
  log=$CACHE/build.log
  if ! kmake -j"$JOBS" M=arch/x86/kvm modules KERNELRELEASE="$KERNEL_ABI" >"$log" 2>&1; then
    names=$(for p in "${PATCHES[@]}"; do basename "$p"; done | paste -sd' ')
    note "kvm modules do not compile with ${names:-no patches} (log: $log):"
    grep -E -A3 'error:|Error [0-9]|undefined!' "$log" | head -n 30 >&2
    exit 2
  fi
  mkdir -p "$RESULT.tmp" && cp "$TREE"/arch/x86/kvm/{kvm,kvm-amd,kvm-intel}.ko "$RESULT.tmp/"
  write_patch_list "$RESULT.tmp"
  rm -rf "$RESULT"
  mv "$RESULT.tmp" "$RESULT"
  note "built kvm modules with ${#PATCHES[@]} patch(es) in $((SECONDS - t0)) s"
else
  note "kvm modules for these ${#PATCHES[@]} patch(es) cached in $RESULT"
fi
cp "$RESULT"/{kvm,kvm-amd,kvm-intel}.ko "$OUTDIR/"
write_patch_list "$OUTDIR"
