#!/usr/bin/env bash
# The one kernel interface: resolves a kernel the nested VM boots and prints
# its KERNEL_* assignments, which vm/run.sh (both architectures) and
# vm/kvm-build.sh eval: debian-6.1 (the default: the host's installed
# image), debian-6.12, debian-6.12-rt, debian-7.2, debian-experimental
# (fetched with a private apt state into $BUILD_DIR/kernels/NAME/), debug and
# debug-rt (vm/debug-kernel.sh), a built tree DIR, or KERNEL_IMAGE with
# KERNEL_MODULES (KERNEL_HEADERS). Each one, and what it prints:
# docs/kernels-and-vm-harness.md, "Kernels".
# Usage: vm/kernel.sh [--source] [KERNEL]   (default: $KERNEL, else debian-6.1;
#          --source: also linux-source's .deb, KERNEL_SRC_DEB, not for 6.1)
#        vm/kernel.sh [--arch arm64] [--headers] [KERNEL]   the arm64 guest's
#          kernels by the x86 names (debian-13-arm64, the default; debian-7.2;
#          debian-experimental); --headers: also their headers (KERNEL_KDIR)
# Exit 2 (one line on stderr) for an unknown or incomplete kernel or
# packages unavailable. Progress on stderr.
set -euo pipefail
WHO=vm-kernel
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
WANT_SOURCE=0 WANT_HEADERS=0 KARCH=x86_64
if [[ ${1:-} == --arch ]]; then
  [[ ${2:-} == arm64 || ${2:-} == x86_64 ]] || die "--arch '${2:-}': x86_64 or arm64"
  KARCH=$2; shift 2
fi
if [[ ${1:-} == --source ]]; then WANT_SOURCE=1; shift; fi
if [[ ${1:-} == --headers ]]; then WANT_HEADERS=1; shift; fi
K=${1:-${KERNEL:-}}
[[ -z $K && -n ${KERNEL_IMAGE:-} ]] && K=image
K=${K:-debian-6.1}

# shellcheck source=apt.sh
. "$ROOT/vm/apt.sh"

emit() {   # NAME VALUE...: one shell-quoted assignment per line
  while (($#)); do printf '%s=%q\n' "$1" "$2"; shift 2; done
}
# fresh DIR KEY: DIR/root holds what KEY names (DIR/.extracted says so).
fresh() { [[ -f $1/.extracted && $(cat "$1/.extracted") == "$2" ]]; }
# first_file PATH...: the first PATH that is a file, or nothing.
first_file() { local f; for f; do [[ ! -f $f ]] || { echo "$f"; return; }; done; }
# headers_at ROOT KDIR: the headers in KDIR, unpacked into ROOT, used where
# they are: the arch headers include the common ones (and 7.x set
# KBUILD_OUTPUT) by absolute path.
headers_at() { sed -i "s#\(^\|[ =]\)/usr/src/#\1$1/usr/src/#g" "$2/Makefile"; }

# --- Debian 6.1: the host's installed image and headers -----------------
debian_61() {
  local abi version
  abi=$("$ROOT/vm/kdir.sh" --abi)
  [[ -n $abi && -f /boot/vmlinuz-$abi && -d /usr/src/linux-headers-$abi ]] ||
    die "linux-image/linux-headers for '${abi:-?}' missing (run scripts/install-deps.sh kmod vm)"
  version=$(dpkg-query -W -f='${Version}' "linux-image-$abi" 2>/dev/null || true)
  emit KERNEL_NAME debian-6.1 KERNEL_ABI "$abi" KERNEL_IMAGE "/boot/vmlinuz-$abi" \
    KERNEL_MODDIR "/lib/modules/$abi" KERNEL_KDIR "/usr/src/linux-headers-$abi" \
    KERNEL_CONFIG "/boot/config-$abi" KERNEL_VERSION "$version" KERNEL_SRC_DEB "" KERNEL_BUSYBOX ""
}

# --- Debian's kernels of another suite, privately fetched ----------------
# debian_kernel NAME SUITE SERIES FLAVOUR: SUITE's newest
# linux-image-<SERIES>*-<FLAVOUR> (amd64, rt-amd64: PREEMPT_RT, or arm64),
# fetched with a private apt state. x86: with its modules and headers (the
# module is built on the host), into $BUILD_DIR/kernels/NAME/. arm64: with a
# busybox-static, under $ARM64_DIR (build/arm64; another suite than trixie
# in its SUITE/ folder); with --headers, to cross-build the module, its
# arm64 headers and an amd64 linux-kbuild for the host tools, under
# $ARM64_KMOD_DIR (build/arm64-kmod[/SUITE]); which kbuild, and why:
# docs/kernels-and-vm-harness.md, "dirtyscope.ko on arm64".
debian_kernel() {
  local name=$1 suite=$2 series=$3 flavour=$4 arch=${4##*-} top kt p
  top=$BUILD_DIR/kernels/$name
  if [[ $arch == arm64 ]]; then
    top=$(abs "${ARM64_DIR:-build/arm64}") kt=$(abs "${ARM64_KMOD_DIR:-build/arm64-kmod}")
    [[ $suite == trixie ]] || { top=$top/$suite kt=$kt/$suite; }
  fi
  local root=$top/root debs=$top/debs pkg version abi common
  mkdir -p "$debs"
  apt_state "$top/apt" "$arch" "$suite" "$(apt_mirror)"
  # The newest linux-image-<series>*-<flavour> (on amd64 -unsigned is the
  # same kernel; arm64 takes the signed one): 6.12.95+deb12-amd64,
  # 7.2.13+deb14-arm64, 7.3-rc7-amd64 ...
  local unsigned='(-unsigned)?'
  [[ $arch == amd64 ]] || unsigned=''
  read -r pkg version < <(apt_newest "^linux-image-${series//./\\.}(\\.[0-9]+)*(-rc[0-9]+)?(\\+deb[0-9]+)?-$flavour$unsigned\$") || true
  [[ -n ${pkg:-} ]] || die "no linux-image-${series}*-$flavour in $suite"
  abi=${pkg#linux-image-} abi=${abi%-unsigned}        # 6.12.95+deb12-amd64
  common=${abi%-"$flavour"}                            # 6.12.95+deb12
  # x86 unpacks the headers too: the flavour's, the common ones (-common,
  # or -common-rt for PREEMPT_RT) and a linux-kbuild.
  local pkgs=("$pkg") kinds='(base|binary)'
  if [[ $arch == amd64 ]]; then
    pkgs+=("linux-headers-$abi" "linux-headers-$common-common") kinds='[a-z]+'
    [[ $flavour == amd64 ]] || pkgs[2]+=-${flavour%-amd64}
  fi
  # And every linux-*-<common> package those depend on: 7.x splits the
  # image into linux-{base,binary,modules}-<abi> (arm64 needs no modules:
  # KVM and its drivers are built in).
  for p in $(apt_packages | awk -v l=" ${pkgs[*]} " '/^Package: /{q=" " $2 " "} /^Depends: / && index(l, q)' |
    grep -oE "linux-$kinds-[^ ,]+" | grep -F -- "${common%%+*}" | grep -v -- "^linux-headers-" | sort -u || true); do
    pkgs+=("$p")
  done
  [[ $arch == arm64 || " ${pkgs[*]} " == *" linux-kbuild-"* ]] || pkgs+=("linux-kbuild-$common")
  local key="$abi $version" files=() bbver
  if [[ $arch == arm64 ]]; then
    # experimental carries only what it changes over sid: busybox is sid's.
    local bbsuite=$suite bbtop=$top
    [[ $suite != experimental ]] || { bbsuite=sid bbtop=${top%/experimental}/sid; }
    [[ $bbsuite == "$suite" ]] || apt_state "$bbtop/apt" arm64 "$bbsuite" "$(apt_mirror)"
    read -r _ bbver < <(apt_newest '^busybox-static$') || true
    [[ -n ${bbver:-} ]] || die "no busybox-static in $bbsuite arm64"
    key+=" $bbver"
    fresh "$top" "$key" || files+=("$(apt_deb "$debs" busybox-static "$bbver")")
    apt_state "$top/apt" arm64 "$suite" "$(apt_mirror)"
  fi
  if ! fresh "$top" "$key"; then
    local t0=$SECONDS
    for p in "${pkgs[@]}"; do files+=("$(apt_deb "$debs" "$p" "$version")"); done
    apt_extract "$root" "${files[@]}"
    if [[ $arch == amd64 ]]; then
      headers_at "$root" "$root/usr/src/linux-headers-$abi"
      # Merged /usr (7.x packages): lib/modules/ lives under usr/.
      [[ -e $root/lib || ! -d $root/usr/lib/modules ]] || ln -s usr/lib "$root/lib"
      depmod -b "$root" "$abi"      # modules.dep is not shipped
    fi
    echo "$key" >"$top/.extracted"
    note "extracted $abi ($version) into $root in $((SECONDS - t0)) s"
  fi
  local src='' kdir='' moddir='' busybox='' image config
  ((WANT_SOURCE == 0)) || [[ $arch == arm64 ]] || src=$(apt_deb "$debs" "linux-source-$series" "$version")
  # 6.12: boot/vmlinuz-<abi>, boot/config-<abi>; 7.x (linux-binary-<abi>,
  # linux-base-<abi>): [usr/]lib/modules/<abi>/vmlinuz and .../config.
  image=$(first_file "$root/boot/vmlinuz-$abi" "$root/lib/modules/$abi/vmlinuz" "$root/usr/lib/modules/$abi/vmlinuz")
  config=$(first_file "$root/boot/config-$abi" "$root/lib/modules/$abi/config" "$root/usr/lib/modules/$abi/config")
  if [[ $arch == amd64 ]]; then
    moddir=$root/lib/modules/$abi kdir=$root/usr/src/linux-headers-$abi
  else
    busybox=$root/usr/bin/busybox
    [[ -x $busybox ]] || die "no busybox in $root"
    ((WANT_HEADERS == 0)) || { arm64_headers "$top" "$kt" "$suite" "$abi" "$version"; kdir=$kt/root/usr/src/linux-headers-$abi config=$kdir/.config; }
  fi
  [[ -n $image ]] || die "no kernel image for $abi in $root (boot/ or [usr/]lib/modules/$abi/vmlinuz)"
  emit KERNEL_NAME "$name" KERNEL_ABI "$abi" KERNEL_IMAGE "$image" \
    KERNEL_MODDIR "$moddir" KERNEL_KDIR "$kdir" KERNEL_CONFIG "$config" \
    KERNEL_VERSION "$version" KERNEL_SRC_DEB "$src" KERNEL_BUSYBOX "$busybox"
}

# --- a built tree, or KERNEL_IMAGE + KERNEL_MODULES ------------------------
custom() {
  local name=$1 image=$2 mods=$3 kdir=${4:-} moddir abi
  [[ -f $image ]] || die "kernel image '$image' not found"
  [[ -n $mods ]] || die "KERNEL_MODULES not set (the INSTALL_MOD_PATH of modules_install)"
  [[ -d $mods ]] || die "KERNEL_MODULES '$mods' is not a directory"
  if [[ -f $mods/modules.dep ]]; then
    moddir=$mods
  else
    local dirs=("$mods"/lib/modules/*/)
    [[ -d ${dirs[0]} ]] || die "no lib/modules/<release>/ under '$mods' (stage with make modules_install INSTALL_MOD_PATH=$mods)"
    ((${#dirs[@]} == 1)) || die "several kernel releases under '$mods/lib/modules': point KERNEL_MODULES at one"
    moddir=${dirs[0]%/}
  fi
  [[ -f $moddir/modules.dep ]] || die "'$moddir/modules.dep' missing (modules_install runs depmod)"
  abi=$(basename "$moddir")
  kdir=${KERNEL_HEADERS:-$kdir}
  [[ -n $kdir ]] || kdir=$(readlink -f "$moddir/build" 2>/dev/null || true)
  [[ -n $kdir && -f $kdir/Makefile ]] ||
    die "no kernel build dir for $abi: set KERNEL_HEADERS (a tree or headers with Makefile, Module.symvers)"
  local config=$kdir/.config
  [[ -f $config ]] || config=$kdir/config
  emit KERNEL_NAME "$name" KERNEL_ABI "$abi" KERNEL_IMAGE "$(realpath "$image")" \
    KERNEL_MODDIR "$(realpath "$moddir")" KERNEL_KDIR "$(realpath "$kdir")" \
    KERNEL_CONFIG "$config" KERNEL_VERSION "" KERNEL_SRC_DEB "" KERNEL_BUSYBOX ""
}

# arm64_headers TOP KT SUITE ABI VERSION: the arm64 image's headers
# (from TOP's apt state) and an amd64 linux-kbuild, unpacked into KT/root.
arm64_headers() {
  local top=$1 kt=$2 suite=$3 abi=$4 version=$5 kpkg kver files=() d fixdep
  local common=${abi%-arm64} kdir=$kt/root/usr/src/linux-headers-$abi
  mkdir -p "$kt/debs"
  if [[ $suite == trixie ]]; then
    apt_state "$kt/apt-amd64" amd64 bookworm-backports "$(apt_mirror)"
    read -r kpkg kver < <(apt_newest '^linux-kbuild-6\.12\.') || true
    [[ -n ${kpkg:-} ]] || die "no linux-kbuild-6.12.* in bookworm-backports"
  else
    apt_state "$kt/apt-amd64" amd64 "$suite" "$(apt_mirror)"
    read -r kpkg kver < <(apt_newest "^linux-kbuild-${common//+/\\+}\$") || true
    [[ ${kver:-} == "$version" ]] || die "no linux-kbuild-$common=$version in $suite amd64"
  fi
  local key="$abi $version $kpkg $kver"
  fresh "$kt" "$key" && return
  files+=("$(apt_deb "$kt/debs" "$kpkg" "$kver")")
  apt_state "$top/apt" arm64 "$suite" "$(apt_mirror)"
  files+=("$(apt_deb "$kt/debs" "linux-headers-$abi" "$version")" "$(apt_deb "$kt/debs" "linux-headers-$common-common" "$version")")
  apt_extract "$kt/root" "${files[@]}"
  headers_at "$kt/root" "$kdir"
  # Both headers reach the host tools through relative links into their
  # own kbuild: point them at the amd64 one.
  for d in "$kdir" "$kt/root/usr/src/linux-headers-$common-common"; do
    rm -f "$d/scripts" "$d/tools"
    ln -s "../../lib/$kpkg/scripts" "$d/scripts"
    ln -s "../../lib/$kpkg/tools" "$d/tools"
  done
  fixdep=$kt/root/usr/lib/$kpkg/scripts/basic/fixdep
  [[ -x $fixdep ]] || die "$kpkg has no scripts/basic/fixdep"
  # bookworm-backports' tools run here; another suite's in its root.
  [[ $suite != trixie || $("$fixdep" 2>&1 || true) == *[Uu]sage* ]] ||
    die "$kpkg's fixdep does not run on this host"
  echo "$key" >"$kt/.extracted"
  note "extracted into $kt/root (headers $abi, host tools $kpkg)"
}

flavour=amd64
if [[ $KARCH == arm64 ]]; then
  K=${1:-${KERNEL:-debian-13-arm64}} flavour=arm64
  [[ $K == debian-13-arm64 || $K == debian-7.2 || $K == debian-experimental ]] ||
    die "unknown arm64 KERNEL '$K' (debian-13-arm64, debian-7.2, debian-experimental)"
fi
case $K in
debian-6.1) debian_61 ;;
debian-6.12) debian_kernel debian-6.12 bookworm-backports 6.12 amd64 ;;
debian-6.12-rt) debian_kernel debian-6.12-rt bookworm-backports 6.12 rt-amd64 ;;
debian-7.2) debian_kernel debian-7.2 sid 7.2 $flavour ;;
debian-experimental) debian_kernel debian-experimental experimental 7.3 $flavour ;;
debian-13-arm64) debian_kernel debian-13-arm64 trixie 6.12 arm64 ;;
image) custom image "$KERNEL_IMAGE" "${KERNEL_MODULES:-}" ;;
debug | debug-rt)
  BUILD_DIR=$BUILD_DIR "$ROOT/vm/debug-kernel.sh" $([[ $K == debug-rt ]] && echo rt) >&2 || exit 2
  d=$BUILD_DIR/kernels/$K
  custom "$K" "$d/out/arch/x86/boot/bzImage" "$d/mods" "$d/out"
  # KASAN, lockdep and kmemleak: programs run several times slower (run.sh
  # scales its default limits) and KASAN's shadow needs memory.
  emit KERNEL_SLOW 8 KERNEL_MEM 2G ;;
tree-7.2)
  # A developer's own tree, configured unlike Debian's (vm/tree-kernel.sh).
  "$ROOT/vm/tree-kernel.sh" >&2 || exit 2
  d=$MACHINE_CACHE/kernels/tree-7.2/out
  custom tree-7.2 "$d/arch/x86/boot/bzImage" "$d" "$d" ;;
*/* | .*)
  [[ -d $K ]] || die "KERNEL='$K': no such directory"
  [[ -f $K/arch/x86/boot/bzImage ]] || die "KERNEL='$K': no arch/x86/boot/bzImage (build the tree first)"
  custom tree "$K/arch/x86/boot/bzImage" "${KERNEL_MODULES:-$K}" "$K" ;;
*) die "unknown KERNEL '$K' (debian-6.1, debian-6.12, debian-6.12-rt, debian-7.2, debian-experimental, debian-13-arm64, debug, debug-rt, tree-7.2, a kernel tree path, or KERNEL_IMAGE= with KERNEL_MODULES=; with --arch arm64: debian-13-arm64, debian-7.2, debian-experimental)" ;;
esac
