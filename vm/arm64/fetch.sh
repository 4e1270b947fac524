#!/usr/bin/env bash
# Fetches what the arm64 nested VM boots: Debian 13 (trixie)'s
# arm64 6.12 kernel image and trixie's arm64 busybox-static, with a private
# apt state under $ARM64_DIR (default build/arm64), and extracts them there.
# The host's apt configuration, architectures and kernels are never touched:
# apt runs with its own sources.list, lists and cache, and only `download`s.
#
# Prints shell assignments: ARM64_KERNEL_ABI ARM64_KERNEL_IMAGE
# ARM64_KERNEL_VERSION ARM64_BUSYBOX. Progress on stderr; exit 2 with one
# line on stderr when the archive cannot give us a kernel.
set -euo pipefail
WHO=arm64-fetch
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
top=${ARM64_DIR:-$ROOT/build/arm64}
[[ $top = /* ]] || top=$ROOT/$top
debs=$top/debs root=$top/root stamp=$top/.extracted
mkdir -p "$debs"
# shellcheck source=../apt.sh
. "$ROOT/vm/apt.sh"
apt_state "$top/apt" arm64 trixie
# The newest signed linux-image-6.12.*-arm64 (the -unsigned one is the same
# kernel) and busybox-static.
read -r pkg version < <(apt_newest '^linux-image-6\.12\.[^-]*-arm64$') || true
[[ -n ${pkg:-} ]] || die "no linux-image-6.12*-arm64 in trixie"
read -r _ bbver < <(apt_newest '^busybox-static$') || true
[[ -n ${bbver:-} ]] || die "no busybox-static in trixie arm64"
abi=${pkg#linux-image-}
if [[ ! -f $stamp || $(cat "$stamp") != "$abi $version $bbver" ]]; then
  note "downloading $pkg=$version busybox-static=$bbver"
  apt_download "$debs" "$pkg=$version" "busybox-static=$bbver"
  rm -rf "$root"
  mkdir -p "$root"
  for deb in "$debs/${pkg}_${version//:/%3a}_arm64.deb" "$debs/busybox-static_${bbver//:/%3a}_arm64.deb"; do
    dpkg-deb -x "$deb" "$root"
  done
  echo "$abi $version $bbver" >"$stamp"
  note "extracted $abi and busybox-static $bbver into $root"
fi
printf 'ARM64_KERNEL_ABI=%q\nARM64_KERNEL_IMAGE=%q\nARM64_KERNEL_VERSION=%q\nARM64_BUSYBOX=%q\n' \
  "$abi" "$root/boot/vmlinuz-$abi" "$version" "$root/usr/bin/busybox"
