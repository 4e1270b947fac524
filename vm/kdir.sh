#!/usr/bin/env bash
# Prints the kernel build tree to build dirtyscope.ko against:
#   - the running kernel's /lib/modules/$(uname -r)/build if it exists,
#   - else Debian's headers for the ABI of the linux-image-amd64 meta
#     package (or of linux-headers-amd64 when no image is installed).
# With --abi, prints that Debian ABI instead (e.g. 6.1.0-56-amd64): the
# kernel the VM harness boots. Prints nothing if the packages are missing.
set -euo pipefail

# "<meta> Depends: linux-image-<abi> (= <version>)" -> <abi>
meta_abi() {
  dpkg-query -W -f='${Depends}' "$1" 2>/dev/null |
    tr ',' '\n' | sed -n "s/^ *$2-\([^ ]*\).*/\1/p" | head -n1
}
debian_abi() {
  local abi
  abi=$(meta_abi linux-image-amd64 linux-image)
  [[ -n $abi ]] || abi=$(meta_abi linux-headers-amd64 linux-headers)
  echo "$abi"
}

if [[ ${1:-} == --abi ]]; then
  debian_abi
  exit 0
fi

running=/lib/modules/$(uname -r)/build
if [[ -d $running ]]; then
  echo "$running"
  exit 0
fi
abi=$(debian_abi)
if [[ -n $abi && -d /usr/src/linux-headers-$abi ]]; then
  echo "/usr/src/linux-headers-$abi"
fi
exit 0
