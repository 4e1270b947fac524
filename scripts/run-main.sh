#!/usr/bin/env bash
# `make run`: the main job with defaults. Every dirty_log_test mode against
# the live kernel, ending in a verdict table; JSON lands in BUILD/run.json.
# Then a short bitmap-vs-ring comparison (dirty_log_perf): its
# side-by-side table; JSON in BUILD/run-perf.json. The exit status is the
# selftest's: the comparison informs, it does not judge.
# A host without /dev/kvm (e.g. one that is itself a PVM guest) runs the
# same selftest in the nested VM instead (Debian's kernel, KVM on QEMU's
# emulated SVM), at a size TCG runs in a minute or two, and skips the
# benchmark, whose numbers would measure the emulator.
set -uo pipefail
build=${1:-build}
bin="$build/bin"
if [[ ! -c /dev/kvm ]]; then
  echo "== this host has no /dev/kvm: dirty_log_test -M all in the nested VM (32M, 4 iterations)"
  # Its own output folder: another vm-test from this checkout cannot
  # replace the KTAP read below.
  make --no-print-directory vm-test BUILD_DIR="$build" VM_OUT="$build/vm-main" \
    VM_TESTS="$bin/dirty_log_test -M all -b 32M -i 4 -I 20"
  status=$?
  sed -n 's/^ *# \(mode  *result.*\|[a-z-]*  *\(pass\|fail\|skip\)  .*\)$/\1/p' "$build/vm-main/guest.ktap"
  [[ $status -eq 0 ]] && echo "== verdict: every mode passed or skipped in the nested VM" ||
    echo "== verdict: FAILED (exit $status): see the 'not ok' lines above"
  exit $status
fi
echo "== dirty_log_test -M all (every mode, defaults: 1G + 3 pages, 32 iterations, 10 ms)"
# One line per mode as it ends, then the table; every line (each
# iteration's diagnostics) goes to $build/run.log, and to the screen with V=1.
if [[ ${V:-0} == 1 ]]; then
  "$bin/dirty_log_test" -M all --json "$build/run.json" 2>&1 | tee "$build/run.log"
else
  "$bin/dirty_log_test" -M all --json "$build/run.json" 2>&1 | tee "$build/run.log" |
    grep --line-buffered -E '^(not )?ok [0-9]|^# (mode  |[a-z-]+ +(pass|fail|skip)  |Totals)'
fi
status=${PIPESTATUS[0]}
if [[ $status -ne 0 && $status -ne 4 && ${V:-0} != 1 ]]; then
  echo "== what failed (all of it: $build/run.log):"
  grep -E 'missed|stale|future|fault|not ok|Bail' "$build/run.log" | head -n 20
fi
case $status in
  0) echo "== verdict: every mode passed (JSON: $build/run.json)" ;;
  4) echo "== verdict: every mode skipped: this kernel lacks what the modes need" ;;
  *) echo "== verdict: FAILED (exit $status): see the 'not ok' lines above" ;;
esac

echo
echo "== bitmap vs ring: dirty_log_perf -b 256M -i 3 (medians; what each row means: bench/README.md)"
"$bin/dirty_log_perf" -b 256M -i 3 --json "$build/run-perf.json" >"$build/run-perf.log" 2>&1
perf_status=$?
sed -n '/^side by side/,$p' "$build/run-perf.log"
[[ $perf_status -eq 0 ]] || { echo "== dirty_log_perf exit $perf_status; its output:"; tail -5 "$build/run-perf.log"; }
exit $status
