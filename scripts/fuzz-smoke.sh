#!/usr/bin/env bash
# ctest fuzz.smoke (part of `make test`: each target
# for about 10 s): builds the libFuzzer targets in their own clang build
# directory and runs each on its seed corpus for FUZZ_SECONDS (default 10), through
# scripts/fuzz.sh, the same runner as `make fuzz`, FUZZ_PARALLEL at once
# (default JOBS: one per core, so each still has a core for its seconds).
#
# First its negative twin: the canary target (fuzz/canary_fuzz.cpp) fed a
# planted heap overflow, then a planted leak, must each make fuzz.sh report
# a finding (exit 1, FOUND); a runner that misses them would make the real
# targets' "none" meaningless.
#
# Usage: scripts/fuzz-smoke.sh BUILD_DIR   (env FUZZ_SECONDS, JOBS, FUZZ_PARALLEL)
# Exit 0: the twins were caught and the real targets found nothing; 1: a
# finding, or a twin not caught; 2: fuzz.sh could not build or run.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: fuzz-smoke.sh BUILD_DIR}
export FUZZ_SECONDS=${FUZZ_SECONDS:-10}
export JOBS=${JOBS:-$(nproc)}
export FUZZ_PARALLEL=${FUZZ_PARALLEL:-$JOBS}
start=$SECONDS

# clang, libclang-rt-14-dev (libFuzzer's runtime, only a Recommends of
# clang) and llvm; core and netlink for the libraries the targets link.
"$here/scripts/install-deps.sh" core netlink fuzz

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The planted input, and what the sanitizer report must say about it.
declare -A report=([OVERFLOW]="AddressSanitizer: heap-buffer-overflow"
                   [LEAK]="LeakSanitizer: detected memory leaks")
for planted in OVERFLOW LEAK; do
  mkdir -p "$scratch/$planted/canary"
  printf 'CANARY-%s' "$planted" >"$scratch/$planted/canary/seed"
  rc=0
  FUZZ_SECONDS=5 FUZZ_CORPUS_ROOT=$scratch/$planted "$here/scripts/fuzz.sh" "$build" canary \
    >"$scratch/$planted.out" 2>&1 || rc=$?
  if [[ $rc -ne 1 ]] || ! grep -q '^canary .*FOUND' "$scratch/$planted.out" ||
    ! grep -q "${report[$planted]}" "$build/fuzz-runs/canary.log"; then
    cat "$scratch/$planted.out" >&2
    echo "fuzz-smoke: the planted $planted was not reported (fuzz.sh exit $rc)" >&2
    [[ $rc -eq 2 ]] && exit 2
    exit 1
  fi
  echo "fuzz-smoke: negative twin: planted $planted reported: $(grep -m1 '^canary' "$scratch/$planted.out")"
done
echo "fuzz-smoke: build and twins took $((SECONDS - start)) s"

rc=0
"$here/scripts/fuzz.sh" "$build" || rc=$?
echo "fuzz-smoke: $((SECONDS - start)) s in all"
exit $rc
