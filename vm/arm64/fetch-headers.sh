#!/usr/bin/env bash
# Fetches what cross-building dirtyscope.ko for the arm64 VM needs:
# the arm64 headers of exactly the kernel vm/arm64/fetch.sh boots
# (linux-headers-<abi> + linux-headers-<ver>-common from trixie) and an
# amd64 linux-kbuild-6.12 whose host tools (fixdep, modpost, ...) run here.
# trixie's amd64 kbuild needs glibc 2.38+ (bookworm has 2.36), so the tools
# come from bookworm-backports' linux-kbuild-6.12.* (built for bookworm);
# any 6.12 kbuild does for the host tools, since the vermagic, config and
# Module.symvers come from the arm64 headers.
#
# Everything goes under $ARM64_KMOD_DIR (default build/arm64-kmod) with
# private apt states (own sources.list, lists, cache, status); the host's apt
# configuration and dpkg architectures are untouched.
#
# Usage: vm/arm64/fetch-headers.sh [--source]   (--source: also linux-source-6.12
#        of the same version, extracted to read, not to build)
# Prints shell assignments: ARM64_KDIR (the headers tree to `make -C`),
# ARM64_KERNEL_ABI, ARM64_KERNEL_IMAGE, ARM64_BUSYBOX, ARM64_KBUILD_VERSION,
# ARM64_SRC (with --source). Exit 2 with one line on stderr on failure.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "arm64-fetch-headers: $*" >&2; exit 2; }
note() { echo "arm64-fetch-headers: $*" >&2; }
want_src=0
[[ ${1:-} == --source ]] && want_src=1
top=${ARM64_KMOD_DIR:-$ROOT/build/arm64-kmod}
[[ $top = /* ]] || top=$ROOT/$top
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The kernel the VM boots (and trixie's arm64 lists, in build/arm64/apt).
eval "$("$ROOT/vm/arm64/fetch.sh")"
abi=$ARM64_KERNEL_ABI version=$ARM64_KERNEL_VERSION common=${ARM64_KERNEL_ABI%-arm64}
a64=${ARM64_DIR:-$ROOT/build/arm64}
[[ $a64 = /* ]] || a64=$ROOT/$a64

# shellcheck source=../apt.sh
. "$ROOT/vm/apt.sh"
mkdir -p "$top/debs"
apt_state "$top/apt-amd64" amd64 bookworm-backports "$mirror"
read -r kpkg kver < <(apt_newest '^linux-kbuild-6\.12\.') || true
[[ -n ${kpkg:-} ]] || die "no linux-kbuild-6.12.* in bookworm-backports"

root=$top/root stamp=$top/.extracted
want="$abi $version $kpkg $kver"
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  note "downloading linux-headers-$abi linux-headers-$common-common ($version, trixie arm64) and $kpkg $kver (bookworm-backports amd64)"
  apt_download "$top/debs" "$kpkg=$kver"
  apt_state "$a64/apt" arm64 trixie "$mirror"
  apt_download "$top/debs" "linux-headers-$abi=$version" "linux-headers-$common-common=$version"
  rm -rf "$root"
  mkdir -p "$root"
  for deb in "$top/debs/linux-headers-${abi}_${version//:/%3a}_arm64.deb" \
    "$top/debs/linux-headers-$common-common_${version//:/%3a}_all.deb" \
    "$top/debs/${kpkg}_${kver//:/%3a}_amd64.deb"; do
    dpkg-deb -x "$deb" "$root"
  done
  hd=$root/usr/src/linux-headers-$abi
  # The arch headers include the common ones by absolute path, and both
  # reach the host tools through relative links into their own kbuild:
  # point them at the amd64 one we have.
  sed -i "s|/usr/src/linux-headers-$common-common|$root/usr/src/linux-headers-$common-common|g" "$hd/Makefile"
  for d in "$hd" "$root/usr/src/linux-headers-$common-common"; do
    for l in scripts tools; do
      rm -f "$d/$l"
      ln -s "../../lib/${kpkg}/$l" "$d/$l"
    done
  done
  [[ -x $root/usr/lib/$kpkg/scripts/basic/fixdep ]] || die "$kpkg has no scripts/basic/fixdep"
  out=$("$root/usr/lib/$kpkg/scripts/basic/fixdep" 2>&1 || true)
  [[ $out == *[Uu]sage* ]] ||
    die "$kpkg's fixdep does not run on this host"
  echo "$want" >"$stamp"
  note "extracted into $root (headers $abi, host tools $kpkg)"
fi
src=
if ((want_src)); then
  src=$top/src/linux-source-6.12
  if [[ ! -f $top/src/.version || $(cat "$top/src/.version") != "$version" ]]; then
    note "downloading linux-source-6.12=$version (to read)"
    apt_state "$a64/apt" arm64 trixie "$mirror"
    apt_download "$top/debs" "linux-source-6.12=$version"
    rm -rf "$top/src"
    mkdir -p "$top/src"
    dpkg-deb --fsys-tarfile "$top/debs/linux-source-6.12_${version//:/%3a}_all.deb" |
      tar -x -O --wildcards '*/linux-source-6.12.tar.xz' | tar -xJ -C "$top/src"
    echo "$version" >"$top/src/.version"
  fi
fi
printf 'ARM64_KDIR=%q\nARM64_KERNEL_ABI=%q\nARM64_KERNEL_IMAGE=%q\nARM64_BUSYBOX=%q\nARM64_KBUILD_VERSION=%q\nARM64_SRC=%q\n' \
  "$root/usr/src/linux-headers-$abi" "$abi" "$ARM64_KERNEL_IMAGE" "$ARM64_BUSYBOX" "$kver" "$src"
