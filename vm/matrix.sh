#!/usr/bin/env bash
# `make vm-matrix`: the verdict set and the module suite on every kernel
# asked for, one vm/run.sh each, folded into one kernel x arch x mode matrix
# by vm/matrix_report.py (also as JSON). Not part of `make test`.
# Usage: vm/matrix.sh [KERNEL...]   (default: every Debian kernel vm/kernel.sh
#        can fetch: debian-6.1 debian-6.12 debian-7.2 debian-experimental on
#        x86-64, and arm64 arm64:debian-7.2 arm64:debian-experimental;
#        a tree path or `debug` may be named too; `arm64` adds the arm64 VM
#        on Debian 13's arm64 kernel, `arm64:K` on kernel K of vm/kernel.sh
#        --arch arm64, e.g. arm64:debian-7.2, arm64:debian-experimental)
# Env: BUILD_DIR. Output: $BUILD_DIR/vm/matrix/<kernel>/ (each run's folder),
# $BUILD_DIR/vm/matrix/matrix.json. Exit 0 when every kernel passed, 1 if
# one failed, 2 on bad input.
set -uo pipefail
WHO=vm-matrix
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
kernels=("$@")
((${#kernels[@]})) || kernels=(debian-6.1 debian-6.12 debian-7.2 debian-experimental
  arm64 arm64:debian-7.2 arm64:debian-experimental)
top=$BUILD_DIR/vm/matrix
mkdir -p "$top"
specs=()
for k in "${kernels[@]}"; do
  name=${k//[\/:]/_}
  out=$top/$name
  rm -rf "$out"
  t0=$SECONDS
  echo "vm-matrix: $k ..." >&2
  if [[ $k == arm64 || $k == arm64:* ]]; then
    # arm64 runs its own short suite, through the same runner.
    ak=${k#arm64}
    ak=${ak#:}
    ak=${ak:-debian-13-arm64}
    make --no-print-directory build ARCH=arm64 >"$top/$name.log" 2>&1 &&
      KERNEL=$ak VM_OUT=$out vm/arm64/suite.sh short >>"$top/$name.log" 2>&1
    rc=$?
    arch=arm64
    k=$ak
  else
    KERNEL=$k VM_OUT=$out BUILD_DIR=$BUILD_DIR vm/run.sh >"$top/$name.log" 2>&1
    rc=$?
    arch=x86_64
  fi
  ((rc == 2)) && { tail -n 1 "$top/$name.log" >&2; echo "vm-matrix: $k: bad input (exit 2)" >&2; exit 2; }
  mkdir -p "$out"
  # The runner's verdict line, else the log's last line: what stopped it.
  verdict=$(grep '^vm-test verdict:' "$top/$name.log" | tail -n 1)
  echo "${verdict:-$(tail -n 1 "$top/$name.log")}" >"$out/verdict.txt"
  echo "vm-matrix: $k ($arch): $(cat "$out/verdict.txt") ($((SECONDS - t0)) s)" >&2
  specs+=("$k:$arch:$((SECONDS - t0)):$out")
done
python3 vm/matrix_report.py "$top/matrix.json" "${specs[@]}"
rc=$?
echo "vm-matrix: JSON in $top/matrix.json"
exit $rc
