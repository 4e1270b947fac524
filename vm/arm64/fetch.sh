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

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "arm64-fetch: $*" >&2; exit 2; }
note() { echo "arm64-fetch: $*" >&2; }
top=${ARM64_DIR:-$ROOT/build/arm64}
[[ $top = /* ]] || top=$ROOT/$top
apt=$top/apt debs=$top/debs root=$top/root stamp=$top/.extracted
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# APT::Architecture makes this private apt an arm64 one; the host's dpkg
# architecture list is not consulted for `download`.
aptopts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=-
  -o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status" -o "Dir::Cache=$apt/cache"
  -o Dir::Etc::preferencesparts=- -o APT::Architecture=arm64 -o APT::Architectures=arm64
  -o APT::Sandbox::User=root -o Debug::NoLocking=1)
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$debs"
: >>"$apt/status"
echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie main" \
  >"$apt/sources.list"
lists=("$apt"/lists/*trixie_main_binary-arm64_Packages*)
if [[ ! -f ${lists[0]} ]]; then
  note "apt-get update (private arm64 lists in $apt, trixie from $mirror)"
  apt-get -q "${aptopts[@]}" update >"$top/apt-update.log" 2>&1 ||
    { tail -n 5 "$top/apt-update.log" >&2; die "apt-get update for trixie arm64 failed (log: $top/apt-update.log)"; }
  lists=("$apt"/lists/*trixie_main_binary-arm64_Packages*)
fi
[[ -f ${lists[0]} ]] || die "no trixie arm64 Packages list in $apt/lists"

# The newest signed linux-image-6.12.*-arm64 (the -unsigned one is the same
# kernel) and busybox-static.
read -r pkg version < <(/usr/lib/apt/apt-helper cat-file "${lists[0]}" |
  awk '/^Package: /{p=$2} /^Version: /{ if (p ~ /^linux-image-6\.12\.[^-]*-arm64$/) print p, $2 }' |
  sort -V -k2 | tail -n1) || true
[[ -n ${pkg:-} ]] || die "no linux-image-6.12*-arm64 in trixie"
bbver=$(/usr/lib/apt/apt-helper cat-file "${lists[0]}" |
  awk '/^Package: /{p=$2} /^Version: /{ if (p == "busybox-static") print $2 }' | sort -V | tail -n1)
[[ -n $bbver ]] || die "no busybox-static in trixie arm64"
abi=${pkg#linux-image-}
if [[ ! -f $stamp || $(cat "$stamp") != "$abi $version $bbver" ]]; then
  note "downloading $pkg=$version busybox-static=$bbver"
  (cd "$debs" && apt-get -q "${aptopts[@]}" download "$pkg=$version" "busybox-static=$bbver" \
    >"$top/apt-download.log" 2>&1) ||
    { tail -n 5 "$top/apt-download.log" >&2; die "apt-get download failed (log: $top/apt-download.log)"; }
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
