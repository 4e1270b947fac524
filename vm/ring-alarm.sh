#!/usr/bin/env bash
# The ring-overrun alarm on a real KVM, both ways (`make ring-alarm`): one
# vm/run.sh boot a run (RING_ALARM_RUNS: control, mutant, late), the guest
# side vm/ring-alarm-guest.sh, which says what each run's kvm must give.
# What each run checks and measured: docs/statistics-and-alarm.md. The
# rebuilt kvm has no BTF for BPF's CO-RE: the patched boots check kmod (and
# bpf-tp). Environment: BUILD_DIR (its bin/ holds dirty_log_test,
# dirtyscope, stats_live_test), RING_ALARM_OUT ($BUILD_DIR/ring-alarm),
# KVM_SRC_CACHE. Exit 0 only if every run passes.
set -euo pipefail
WHO=ring-alarm
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=alarm-lib.sh
. "$ROOT/vm/alarm-lib.sh"
cd "$ROOT"
OUT=${RING_ALARM_OUT:-$BUILD_DIR/ring-alarm}
export KVM_SRC_CACHE=${KVM_SRC_CACHE:-$ROOT/build/kvm-src}
for b in dirty_log_test dirtyscope stats_live_test; do
  [[ -x $BUILD_DIR/bin/$b ]] || die "$BUILD_DIR/bin/$b not built"
done
# An alarm boot loads the module without running its own suite.
export BUILD_DIR VM_MODULE_SUITE=0 VM_FILES="$BUILD_DIR/bin/dirty_log_test $BUILD_DIR/bin/dirtyscope"
guest=$ROOT/vm/ring-alarm-guest.sh
RUNS=${RING_ALARM_RUNS:-control mutant late}  # any of them
rc=0
for run in $RUNS; do
  t=$SECONDS
  case $run in
    # Plus the BPF live tests: ring sizes read through CO-RE against the
    # kvm module's BTF (the host has KVM built in and no /dev/kvm).
    control) patch='' want="ok kmod bpf bpf-tp; $BUILD_DIR/bin/stats_live_test --gtest_filter=Modes/BpfLive.*" ;;
    mutant) patch=vm/mutants/ring-soft-limit-no-reserve.patch want="overrun kmod bpf-tp" ;;
    late) patch=vm/ring-alarm/soft-limit-half-reserve.patch want="late kmod" ;;
    *) die "unknown run '$run' (control, mutant, late)" ;;
  esac
  echo "ring-alarm: $run, kvm ${patch:-unpatched}"
  VM_OUT=$OUT/$run KVM_PATCHES=$patch VM_TESTS="$guest $BUILD_DIR/bin $want" alarm_boot ring-alarm-guest.sh || rc=1
  echo "ring-alarm: $run took $((SECONDS - t)) s"
done
for run in $RUNS; do
  echo "ring-alarm: $run:"
  grep -E '^ *(# (kmod|bpf|bpf-tp): |(not )?ok [0-9]+ ring alarm)' "$OUT/$run/guest.ktap" || true
done
exit $rc
