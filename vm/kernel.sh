#!/usr/bin/env bash
# The one kernel interface: resolves a kernel the nested VM boots and prints
# its KERNEL_* assignments, which vm/run.sh, vm/kvm-build.sh and
# vm/arm64/boot.sh eval: debian-6.1 (the default: the host's installed
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

# --- Debian kernels from another suite, privately fetched ------------------
# debian_suite NAME SUITE SERIES [FLAVOUR]: SUITE's newest
# linux-image-<SERIES>*-<FLAVOUR> (amd64; rt-amd64 is PREEMPT_RT) with its
# headers, fetched into $BUILD_DIR/kernels/NAME/.
debian_suite() {
  local name=$1 suite=$2 series=$3 flavour=${4:-amd64}
  local top=$BUILD_DIR/kernels/$name
  local debs=$top/debs root=$top/root stamp=$top/.extracted
  mkdir -p "$debs"
  apt_state "$top/apt" amd64 "$suite" "$(apt_mirror)"
  # The newest linux-image-<series>*-amd64 (unsigned is the same kernel):
  # 6.12.95+deb12-amd64, 7.2.13+deb14-amd64, 7.3-rc7-amd64 ...
  local pkg abi version re="^linux-image-${series//./\\.}(\\.[0-9]+)*(-rc[0-9]+)?(\\+deb[0-9]+)?-$flavour(-unsigned)?\$"
  read -r pkg version < <(apt_newest "$re") || true
  [[ -n ${pkg:-} ]] || die "no linux-image-${series}*-$flavour in $suite"
  abi=${pkg#linux-image-}; abi=${abi%-unsigned}       # 6.12.95+deb12-amd64
  local common=${abi%-"$flavour"}                      # 6.12.95+deb12
  # The flavour's common headers: -common, or -common-rt for PREEMPT_RT.
  local common_headers=linux-headers-$common-common
  [[ $flavour == amd64 ]] || common_headers+=-${flavour%-amd64}
  # Every linux-*<common>* package the image and the headers depend on (7.x
  # splits the image into linux-{base,binary,modules}-<abi>).
  if [[ ! -f $stamp || $(cat "$stamp") != "$abi $version" ]]; then
    local extra
    extra=$(apt_packages |
      awk -v i="$pkg" -v a="linux-headers-$abi" -v c="$common_headers" \
        '/^Package: /{q=$2} /^Depends: /{ if (q==i || q==a || q==c) print }' |
      grep -oE 'linux-[a-z]+-[^ ,]+' | grep -F -- "${common%%+*}" | grep -v -- "^linux-headers-" | sort -u || true)
    local pkgs=("$pkg" "linux-headers-$abi" "$common_headers") p names=() files=()
    for p in $extra; do pkgs+=("$p"); done
    [[ " ${pkgs[*]} " == *" linux-kbuild-"* ]] || pkgs+=("linux-kbuild-$common")
    names=("${pkgs[@]}")
    pkgs=("${pkgs[@]/%/=$version}")
    note "downloading ${pkgs[*]} from $suite"
    local t0=$SECONDS
    apt_download "$debs" "${pkgs[@]}"
    for p in "${names[@]}"; do files+=("$debs/${p}_${version//:/%3a}_"*.deb); done
    apt_extract "$root" "${files[@]}"
    # The arch headers include the common ones (and 7.x set KBUILD_OUTPUT)
    # by absolute path.
    sed -i "s#\(^\|[ =]\)/usr/src/#\1$root/usr/src/#g" "$root/usr/src/linux-headers-$abi/Makefile"
    # Merged /usr (7.x packages): lib/modules/ lives under usr/.
    [[ -e $root/lib || ! -d $root/usr/lib/modules ]] || ln -s usr/lib "$root/lib"
    depmod -b "$root" "$abi"      # modules.dep is not shipped
    echo "$abi $version" >"$stamp"
    note "extracted $abi ($version) into $root in $((SECONDS - t0)) s"
  fi
  local src=
  ((WANT_SOURCE == 0)) || src=$(apt_deb "$debs" "linux-source-$series" "$version")
  # 6.12: boot/vmlinuz-<abi>, boot/config-<abi>; 7.x (linux-binary-<abi>,
  # linux-base-<abi>): lib/modules/<abi>/vmlinuz and .../config.
  local image=$root/boot/vmlinuz-$abi config=$root/boot/config-$abi
  [[ -f $image ]] || image=$root/lib/modules/$abi/vmlinuz
  [[ -f $config ]] || config=$root/lib/modules/$abi/config
  [[ -f $image ]] || die "no kernel image for $abi in $root (boot/ or lib/modules/$abi/vmlinuz)"
  emit KERNEL_NAME "$name" KERNEL_ABI "$abi" KERNEL_IMAGE "$image" \
    KERNEL_MODDIR "$root/lib/modules/$abi" KERNEL_KDIR "$root/usr/src/linux-headers-$abi" \
    KERNEL_CONFIG "$config" KERNEL_VERSION "$version" KERNEL_SRC_DEB "$src" KERNEL_BUSYBOX ""
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

# --- the arm64 guest's kernels --------------------------------------------
# debian_arm64 NAME SUITE SERIES: SUITE's newest arm64 SERIES image and a
# busybox-static under $ARM64_DIR (build/arm64; another suite than trixie
# in its SUITE/ folder). With --headers, to cross-build the module: its
# arm64 headers and an amd64 linux-kbuild for the host tools, under
# $ARM64_KMOD_DIR (build/arm64-kmod[/SUITE]); which kbuild, and why:
# docs/kernels-and-vm-harness.md, "dirtyscope.ko on arm64".
debian_arm64() {
  local name=$1 suite=$2 series=$3
  local top kt pkg version bbver abi common kpkg kver want kdir="" hc fixdep p
  top=$(abs "${ARM64_DIR:-build/arm64}") kt=$(abs "${ARM64_KMOD_DIR:-build/arm64-kmod}")
  [[ $suite == trixie ]] || { top=$top/$suite kt=$kt/$suite; }
  mkdir -p "$top/debs"
  apt_state "$top/apt" arm64 "$suite"
  # The newest signed linux-image-<series>*-arm64 (-unsigned is the same
  # kernel): 6.12.117+deb13-arm64, 7.2.13+deb14-arm64, 7.3-arm64 ...
  read -r pkg version < <(apt_newest "^linux-image-${series//./\\.}(\\.[0-9]+)*(-rc[0-9]+)?(\\+deb[0-9]+)?-arm64\$") || true
  [[ -n ${pkg:-} ]] || die "no linux-image-$series*-arm64 in $suite"
  abi=${pkg#linux-image-} common=${abi%-arm64}
  # 7.x's linux-image-<abi> is a meta package: the image and config are in
  # linux-binary-<abi> and linux-base-<abi> (KVM and drivers are built in).
  local pkgs=("$pkg") files=()
  for p in $(apt_packages | awk -v i="$pkg" '/^Package: /{q=$2} /^Depends: / && q==i { print }' |
    grep -oE "linux-(base|binary)-${abi//+/\\+}" | sort -u || true); do pkgs+=("$p"); done
  # experimental carries only what it changes over sid: busybox is sid's.
  local bbsuite=$suite bbtop=$top
  [[ $suite != experimental ]] || { bbsuite=sid bbtop=${top%/experimental}/sid; }
  [[ $bbsuite == "$suite" ]] || apt_state "$bbtop/apt" arm64 "$bbsuite"
  read -r _ bbver < <(apt_newest '^busybox-static$') || true
  [[ -n ${bbver:-} ]] || die "no busybox-static in $bbsuite arm64"
  if [[ ! -f $top/.extracted || $(cat "$top/.extracted") != "$abi $version $bbver" ]]; then
    note "downloading ${pkgs[*]} ($version) from $suite, busybox-static=$bbver from $bbsuite"
    apt_download "$top/debs" "busybox-static=$bbver"
    apt_state "$top/apt" arm64 "$suite"
    apt_download "$top/debs" "${pkgs[@]/%/=$version}"
    for p in "${pkgs[@]}"; do files+=("$top/debs/${p}_${version//:/%3a}_arm64.deb"); done
    apt_extract "$top/root" "${files[@]}" "$top/debs/busybox-static_${bbver//:/%3a}_arm64.deb"
    echo "$abi $version $bbver" >"$top/.extracted"
    note "extracted $abi and busybox-static $bbver into $top/root"
  fi
  # 6.12: boot/vmlinuz-<abi>, boot/config-<abi>; 7.x: usr/lib/modules/<abi>/.
  local image=$top/root/boot/vmlinuz-$abi config=$top/root/boot/config-$abi
  [[ -f $image ]] || image=$top/root/usr/lib/modules/$abi/vmlinuz
  [[ -f $config ]] || config=$top/root/usr/lib/modules/$abi/config
  [[ -f $config ]] || config=
  if ((WANT_HEADERS)); then
    mkdir -p "$kt/debs"
    if [[ $suite == trixie ]]; then
      apt_state "$kt/apt-amd64" amd64 bookworm-backports
      read -r kpkg kver < <(apt_newest '^linux-kbuild-6\.12\.') || true
      [[ -n ${kpkg:-} ]] || die "no linux-kbuild-6.12.* in bookworm-backports"
    else
      apt_state "$kt/apt-amd64" amd64 "$suite"
      read -r kpkg kver < <(apt_newest "^linux-kbuild-${common//+/\\+}\$") || true
      [[ ${kver:-} == "$version" ]] || die "no linux-kbuild-$common=$version in $suite amd64"
    fi
    kdir=$kt/root/usr/src/linux-headers-$abi hc=$kt/root/usr/src/linux-headers-$common-common
    want="$abi $version $kpkg $kver"
    if [[ ! -f $kt/.extracted || $(cat "$kt/.extracted") != "$want" ]]; then
      note "downloading linux-headers-$abi linux-headers-$common-common ($version, $suite arm64) and $kpkg $kver (amd64)"
      apt_download "$kt/debs" "$kpkg=$kver"
      apt_state "$top/apt" arm64 "$suite"
      apt_download "$kt/debs" "linux-headers-$abi=$version" "linux-headers-$common-common=$version"
      apt_extract "$kt/root" "$kt/debs/linux-headers-${abi}_${version//:/%3a}_arm64.deb" \
        "$kt/debs/linux-headers-$common-common_${version//:/%3a}_all.deb" "$kt/debs/${kpkg}_${kver//:/%3a}_amd64.deb"
      # The arch headers include the common ones (and 7.x set KBUILD_OUTPUT)
      # by absolute path, and both reach the host tools through relative
      # links into their own kbuild: point them at the amd64 one.
      sed -i "s#\(^\|[ =]\)/usr/src/#\1$kt/root/usr/src/#g" "$kdir/Makefile"
      for d in "$kdir" "$hc"; do
        rm -f "$d/scripts" "$d/tools"
        ln -s "../../lib/$kpkg/scripts" "$d/scripts"
        ln -s "../../lib/$kpkg/tools" "$d/tools"
      done
      fixdep=$kt/root/usr/lib/$kpkg/scripts/basic/fixdep
      [[ -x $fixdep ]] || die "$kpkg has no scripts/basic/fixdep"
      # bookworm-backports' tools run here; another suite's in its root.
      [[ $suite != trixie || $("$fixdep" 2>&1 || true) == *[Uu]sage* ]] ||
        die "$kpkg's fixdep does not run on this host"
      echo "$want" >"$kt/.extracted"
      note "extracted into $kt/root (headers $abi, host tools $kpkg)"
    fi
    config=$kdir/.config
  fi
  [[ -f $image && -x $top/root/usr/bin/busybox ]] || die "no arm64 kernel or busybox in $top/root"
  emit KERNEL_NAME "$name" KERNEL_ABI "$abi" KERNEL_IMAGE "$image" \
    KERNEL_MODDIR "" KERNEL_KDIR "$kdir" KERNEL_CONFIG "$config" \
    KERNEL_VERSION "$version" KERNEL_SRC_DEB "" KERNEL_BUSYBOX "$top/root/usr/bin/busybox"
}

if [[ $KARCH == arm64 ]]; then
  case ${1:-${KERNEL:-debian-13-arm64}} in
  debian-13-arm64) debian_arm64 debian-13-arm64 trixie 6.12 ;;
  debian-7.2) debian_arm64 debian-7.2 sid 7.2 ;;
  debian-experimental) debian_arm64 debian-experimental experimental 7.3 ;;
  *) die "unknown arm64 KERNEL '${1:-$KERNEL}' (debian-13-arm64, debian-7.2, debian-experimental)" ;;
  esac
  exit 0
fi

case $K in
debian-6.1) debian_61 ;;
debian-6.12) debian_suite debian-6.12 bookworm-backports 6.12 ;;
debian-6.12-rt) debian_suite debian-6.12-rt bookworm-backports 6.12 rt-amd64 ;;
debian-7.2) debian_suite debian-7.2 sid 7.2 ;;
debian-experimental) debian_suite debian-experimental experimental 7.3 ;;
debian-13-arm64) debian_arm64 debian-13-arm64 trixie 6.12 ;;
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
