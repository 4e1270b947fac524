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
# private apt states (vm/apt.sh).
# Prints ARM64_KDIR=..., the headers tree to `make -C`. Exit 2 with one line
# on stderr on failure.
set -euo pipefail
WHO=arm64-fetch-headers
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
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
printf 'ARM64_KDIR=%q\n' "$root/usr/src/linux-headers-$abi"
