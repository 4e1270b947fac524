#!/usr/bin/env bash
# Installs the Debian packages a feature set needs, only when missing, so
# `make deps` is idempotent and cheap on a machine that already has them.
# Usage: install-deps.sh GROUP...   (groups: core bpf netlink plot kmod vm kvmsrc debugkernel fuzz arm64)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
declare -A groups=(
  # valgrind: callgrind counts the micro-benchmark's instructions (make
  # microbench, bench/icount.sh), and the micro-benchmark includes its
  # valgrind/callgrind.h client requests. ccache: the Makefile's builds
  # compile through it.
  [core]="build-essential ccache cmake g++ libgtest-dev libgmock-dev libbenchmark-dev pkg-config libssl-dev valgrind"
  [bpf]="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev"
  [netlink]="libnl-3-dev libnl-genl-3-dev"
  [plot]="gnuplot-nox"
  # The module build; headers only when the running kernel has no tree.
  [kmod]="build-essential"
  # The kernel the VM harness boots, and tools to boot it and judge its output.
  [vm]="build-essential linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static cpio kmod xz-utils python3 bpftool"
  # Rebuilding kvm*.ko from linux-source-6.1 (vm/kvm-build.sh): kconfig needs
  # flex and bison, the build bc, libelf (objtool), libssl (sign-file); patch
  # applies the patches, git copies the checkout (make churn-mutant); rsync installs uapi headers for PEER=1.
  [kvmsrc]="build-essential bc flex bison libssl-dev libelf-dev git patch xz-utils rsync"
  # The debug kernel (vm/debug-kernel.sh): a whole kernel with BTF, so
  # pahole (dwarves) besides what the kvm rebuild needs.
  [debugkernel]="build-essential bc flex bison libssl-dev libelf-dev dwarves xz-utils"
  # `make fuzz` only: clang with libFuzzer. In bookworm libclang_rt.fuzzer
  # is in libclang-rt-14-dev, only a Recommends of clang (and this script
  # installs without recommends); llvm brings llvm-symbolizer for reports.
  [fuzz]="clang libclang-rt-14-dev llvm"
  # arm64: the cross toolchain for `make build ARCH=arm64` and the
  # emulator that runs an arm64 kernel with KVM at EL2 (vm/run.sh --arch arm64).
  # The arm64 kernel and busybox are fetched privately, not installed.
  [arm64]="gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-system-arm cpio xz-utils"
)
[[ -d /lib/modules/$(uname -r)/build ]] || groups[kmod]+=" linux-headers-amd64"

wanted=()
for g in "$@"; do
  [[ -n "${groups[$g]+x}" ]] || { echo "install-deps: unknown group '$g' (known: ${!groups[*]})" >&2; exit 2; }
  for p in ${groups[$g]}; do wanted+=("$p"); done
done

# One install at a time: ctest runs tests two at a time (make test), and
# several install their own groups on first use (fuzz, arm64, kvmsrc);
# concurrent apt-get runs would fail on dpkg's lock instead of waiting.
exec 9>/tmp/dirtyscope-install-deps.lock
flock 9
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The headers meta package can be installed while the headers of the ABI
# the image points at are not (a partial upgrade): ask for exactly those.
if [[ " ${wanted[*]} " == *" linux-headers-amd64 "* && ${#missing[@]} -eq 0 ]]; then
  abi=$("$here/../vm/kdir.sh" --abi)
  if [[ -n $abi && ! -d /usr/src/linux-headers-$abi ]]; then
    missing+=("linux-headers-$abi")
  fi
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages ${missing[*]}; run as root or install them" >&2
  exit 2
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Another apt (not ours) may hold dpkg's lock: wait for it, as ours do.
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
