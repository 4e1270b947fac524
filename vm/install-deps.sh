#!/usr/bin/env bash
# Installs the Debian packages the module build and the VM harness need,
# only when missing, so repeated `make kmod` / `make vm-test` cost nothing.
# Usage: vm/install-deps.sh GROUP...   (groups: kmod vm)
set -euo pipefail

here=$(dirname "$0")
declare -A groups=(
  [kmod]="build-essential"
  # The kernel the VM boots, and tools to boot it and judge its output.
  [vm]="build-essential linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static cpio kmod xz-utils python3 bpftool"
)
# The module build needs headers only when the running kernel has no tree.
[[ -d /lib/modules/$(uname -r)/build ]] || groups[kmod]+=" linux-headers-amd64"

wanted=()
for g in "$@"; do
  [[ -n "${groups[$g]+x}" ]] || { echo "vm/install-deps: unknown group '$g'" >&2; exit 2; }
  for p in ${groups[$g]}; do wanted+=("$p"); done
done

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The meta packages can be installed while the headers of the ABI the
# image points at are not (partial upgrade): ask for exactly those.
if [[ " ${wanted[*]} " == *" linux-headers-amd64 "* && ${#missing[@]} -eq 0 ]]; then
  abi=$("$here/kdir.sh" --abi)
  if [[ -n $abi && ! -d /usr/src/linux-headers-$abi ]]; then
    missing+=("linux-headers-$abi")
  fi
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "vm/install-deps: missing packages ${missing[*]}; run as root or install them" >&2
  exit 2
fi
echo "vm/install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
