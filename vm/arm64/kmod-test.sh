#!/usr/bin/env bash
# dirtyscope.ko on arm64 (`make vm-arm64-kmod`): the module's suite alone,
# in one boot of the arm64 runner (vm/arm64/boot.sh --kmod, which
# documents ARM64_KMOD_EXTRA and the other knobs). Ends with "N passed, M
# failed, K skipped"; exit 0 only when nothing failed.
exec "$(dirname "$0")/boot.sh" --kmod
