#!/usr/bin/env bash
# Prints the make argument that builds dirtyscope.ko without BTF of its own
# (CONFIG_DEBUG_INFO_BTF_MODULES=) when this host's pahole cannot make it
# for the kernel whose .config is CONFIG: no pahole at all, or one older
# than the CONFIG_PAHOLE_VERSION that kernel was built with (Kbuild passes
# that version's options). The probes do not need the module's BTF.
# Usage: vm/btf-args.sh CONFIG      (prints nothing when pahole will do)
set -euo pipefail
want=$(sed -n 's/^CONFIG_PAHOLE_VERSION=//p' "$1" 2>/dev/null || true)
have=$(pahole --version 2>/dev/null | tr -dc 0-9 || true)
if [[ -z $have ]] || { [[ -n $want ]] && ((have < want)); }; then
  echo CONFIG_DEBUG_INFO_BTF_MODULES=
fi
