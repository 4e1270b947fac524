#!/usr/bin/env bash
# Installs the Debian packages the module build and the VM harness need,
# only when missing, so repeated `make kmod` / `make vm-test` cost nothing.
# Usage: vm/install-deps.sh GROUP...   (groups: kmod vm)
set -euo pipefail

declare -A groups=(
  # linux-image-amd64 too: the headers must match the kernel the VM boots.
  [kmod]="build-essential linux-image-amd64 linux-headers-amd64"
  [vm]="qemu-system-x86 busybox-static cpio kmod python3 bpftool"
)

wanted=()
for g in "$@"; do
  [[ -n "${groups[$g]+x}" ]] || { echo "vm/install-deps: unknown group '$g'" >&2; exit 2; }
  for p in ${groups[$g]}; do wanted+=("$p"); done
done

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The meta packages can be installed while the ABI package they point at
# is not (after a partial upgrade): check the real headers directory too.
if [[ " ${wanted[*]} " == *" linux-headers-amd64 "* ]]; then
  abi=$("$(dirname "$0")/kdir.sh" --abi)
  if [[ -z $abi || ! -d /usr/src/linux-headers-$abi ]]; then
    missing+=(linux-headers-amd64)
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
