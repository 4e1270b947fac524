#!/usr/bin/env bash
# A private compiler for kernels built by a GCC the host lacks (Debian's
# 7.x: gcc-16): a debootstrapped sid root under $BUILD_DIR/toolchains/sid,
# entered by chroot in a private mount namespace (docs/kernels-and-vm-harness.md,
# "How the Debian kernels are fetched and built"). Host apt is never touched.
# Usage: vm/toolchain.sh root CONFIG [PKG...]   prints the root the kernel of
#          CONFIG needs ("" when the host's compiler is it), made if missing,
#          with PKGs installed too
#        vm/toolchain.sh run TCROOT CMD...   runs CMD in TCROOT (binds $ROOT,
#          $BUILD_DIR, /dev, /proc)
# Exit 2 (one line on stderr) when the toolchain cannot be made.
set -euo pipefail
WHO=vm-toolchain
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=apt.sh
. "$ROOT/vm/apt.sh"

cmd_root() {
  local config=$1 cc pkg suite=sid
  shift
  # dwarves: pahole, which writes a module's BTF (the 7.x headers ship
  # vmlinux, so Kbuild generates it).
  local extras=(dwarves "$@")
  # Only a gcc-N the host lacks needs the private root; anything else (no
  # config, clang, plain gcc, a compiler the host has) builds as before.
  [[ -f $config ]] || { echo ""; return; }
  cc=$(kernel_cc "$config")
  if [[ -z $cc || ! $cc =~ (gcc-[0-9]+)$ ]] || command -v "$cc" >/dev/null; then echo ""; return; fi
  pkg=${BASH_REMATCH[1]}
  local top=$BUILD_DIR/toolchains tc=$BUILD_DIR/toolchains/$suite p
  # ready: the compiler and every extra package are in the root.
  ready() { [[ -x $tc/usr/bin/$cc ]] || return; for p in "${extras[@]}"; do grep -q "^Package: $p\$" "$tc/var/lib/dpkg/status" || return; done; }
  if ready; then echo "$tc"; return; fi
  # One at a time: two runs must not debootstrap into one directory.
  mkdir -p "$top"
  exec 9>"$top/.lock"
  flock 9
  if ready; then echo "$tc"; return; fi
  local ds=$top/debootstrap
  if [[ ! -x $ds/usr/sbin/debootstrap ]]; then
    note "unpacking debootstrap (apt-get download from the host's archive)"
    mkdir -p "$top/dl"
    (cd "$top/dl" && apt-get -q download debootstrap >"$top/dl/download.log" 2>&1) ||
      die "apt-get download debootstrap failed (log: $top/dl/download.log)"
    dpkg-deb -x "$top"/dl/debootstrap_*.deb "$ds"
  fi
  # A root without the compiler gets it installed; one without apt-get is made afresh.
  [[ ! -d $tc || -x $tc/usr/bin/$cc || -x $tc/usr/bin/apt-get ]] || rm -rf "$tc"
  local t0=$SECONDS
  if [[ ! -d $tc ]]; then
    note "debootstrap --variant=minbase $suite into $tc with $pkg (takes minutes; cached)"
    rm -rf "$tc.tmp"
    DEBOOTSTRAP_DIR=$ds/usr/share/debootstrap "$ds/usr/sbin/debootstrap" --variant=minbase \
      --include="$(IFS=,; echo "$pkg,make,libc6-dev,libelf-dev${extras[*]:+,${extras[*]}}")" \
      --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
      "$suite" "$tc.tmp" "$(apt_mirror)" >"$top/debootstrap.log" 2>&1 ||
      die "debootstrap of $suite failed (log: $top/debootstrap.log)"
    mv "$tc.tmp" "$tc"
  else
    note "installing $pkg ${extras[*]} into $tc"
    cmd_run "$tc" apt-get -q -y install --no-install-recommends "$pkg" make libc6-dev libelf-dev "${extras[@]}" \
      >"$top/apt-install.log" 2>&1 || die "apt-get install $pkg in $tc failed (log: $top/apt-install.log)"
  fi
  [[ -x $tc/usr/bin/$cc ]] || die "$cc missing in $tc after installing $pkg"
  note "toolchain $tc ready in $((SECONDS - t0)) s: $("$0" run "$tc" "$cc" --version | head -n1)"
  echo "$tc"
}

cmd_run() {
  local tc=$1
  shift
  [[ -d $tc ]] || die "no toolchain root '$tc'"
  local binds=("$ROOT")
  [[ $BUILD_DIR == "$ROOT"/* ]] || binds+=("$BUILD_DIR")
  # The script the private namespace runs: bind, then chroot with a clean env
  # (expanded there, from its arguments).
  # shellcheck disable=SC2016
  local script='tc=$1; n=$2; shift 2
    for ((i = 0; i < n; i++)); do mkdir -p "$tc$1"; mount --bind "$1" "$tc$1"; shift; done
    mount --bind /dev "$tc/dev"; mount -t proc proc "$tc/proc"
    exec chroot "$tc" env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root LANG=C.UTF-8 "$@"'
  unshare -m --propagation private bash -c "$script" toolchain "$tc" "${#binds[@]}" "${binds[@]}" "$@"
}

case ${1:-} in
root) [[ $# -ge 2 ]] || die "usage: vm/toolchain.sh root CONFIG [PKG...]"; shift; cmd_root "$@" ;;
run) [[ $# -ge 3 ]] || die "usage: vm/toolchain.sh run TCROOT CMD..."; shift; cmd_run "$@" ;;
*) die "usage: vm/toolchain.sh root CONFIG | run TCROOT CMD..." ;;
esac
