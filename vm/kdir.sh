#!/usr/bin/env bash
# Prints the kernel build tree to build dirtyscope.ko against:
#   - the running kernel's /lib/modules/$(uname -r)/build if it exists,
#   - else Debian's headers for the ABI of the linux-image-amd64 meta
#     package (or of linux-headers-amd64 when no image is installed).
# With --abi, prints that Debian ABI instead (e.g. 6.1.0-56-amd64): the
# kernel the VM harness boots. Prints nothing if the packages are missing.
set -euo pipefail

# meta_abi image|headers: "linux-KIND-amd64 Depends: linux-KIND-<abi> (= ...)" -> <abi>
meta_abi() {
  dpkg-query -W -f='${Depends}' "linux-$1-amd64" 2>/dev/null |
    tr ',' '\n' | sed -n "s/^ *linux-$1-\([^ ]*\).*/\1/p" | head -n1
}
abi=$(meta_abi image)
[[ -n $abi ]] || abi=$(meta_abi headers)
running=/lib/modules/$(uname -r)/build
if [[ ${1:-} == --abi ]]; then
  echo "$abi"
elif [[ -d $running ]]; then
  echo "$running"
elif [[ -n $abi && -d /usr/src/linux-headers-$abi ]]; then
  echo "/usr/src/linux-headers-$abi"
fi
