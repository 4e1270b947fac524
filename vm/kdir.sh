#!/usr/bin/env bash
# Prints the kernel build tree to build dirtyscope.ko against:
#   - the running kernel's /lib/modules/$(uname -r)/build if it exists,
#   - else Debian's headers matching the linux-image-amd64 meta package.
# With --abi, prints that Debian ABI instead (e.g. 6.1.0-56-amd64): the
# kernel the VM harness boots. Prints nothing if the packages are missing.
set -euo pipefail

debian_abi() {
  # linux-image-amd64 Depends: linux-image-<abi> (= <version>)
  dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
    tr ',' '\n' | sed -n 's/^ *linux-image-\([^ ]*\).*/\1/p' | head -n1
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
[[ -n $abi && -d /usr/src/linux-headers-$abi ]] && echo "/usr/src/linux-headers-$abi"
exit 0
