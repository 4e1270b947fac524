#!/usr/bin/env bash
# Builds the module's test programs named in kmod/tests/programs.list,
# static (the guest initramfs carries no libraries), with compiler CC
# (gcc; aarch64-linux-gnu-gcc for arm64), into OUTDIR.
# Usage: kmod/tests/build.sh CC OUTDIR PROGRAM...
# Exit 2 for a program the list does not name; 1 when a build fails.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIST=$ROOT/kmod/tests/programs.list
[[ $# -ge 3 ]] || { echo "usage: kmod/tests/build.sh CC OUTDIR PROGRAM..." >&2; exit 2; }
cc=$1 out=$2
shift 2
sources() { sed -n "s/^$1: *//p" "$LIST"; }
common=$(sources common)
mkdir -p "$out"
for prog in "$@"; do
  own=$(sources "$prog")
  [[ -n $own ]] || { echo "kmod/tests/build.sh: '$prog' is not in kmod/tests/programs.list" >&2; exit 2; }
  srcs=()
  for f in $own $common; do srcs+=("$ROOT/kmod/tests/$f.c"); done
  # Up to date (newer than every source and the list): every VM test of
  # one build tree shares these, so only the first one compiles.
  if [[ -x $out/$prog ]]; then
    stale=0
    for f in "${srcs[@]}" "$LIST" "$ROOT"/kmod/tests/*.h "$ROOT"/kmod/include/uapi/linux/*.h; do
      [[ ! -e $f || $out/$prog -nt $f ]] || { stale=1; break; }
    done
    ((stale)) || continue
  fi
  "$cc" -static -O2 -Wall -Wextra -Werror -I "$ROOT/kmod/include/uapi" -o "$out/$prog.tmp" "${srcs[@]}"
  mv "$out/$prog.tmp" "$out/$prog"
done
