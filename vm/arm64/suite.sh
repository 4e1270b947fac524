#!/usr/bin/env bash
# The arm64 test suite: dirty_log_test, dirty_log_perf and spp_test
# cross-built for aarch64 (`make build ARCH=arm64`), run by vm/run.sh
# --arch arm64 (whose prefixes the tests use) in the arm64 KERNEL it boots.
# Usage: [KERNEL=...] vm/arm64/suite.sh full|short [--kmod]   full: `make
#   vm-test ARCH=arm64`; short: ctest vm.arm64_selftests; --kmod: the
#   module's suite in the same boot. Ends as the runner does (vm/run.sh:
#   "N passed, M failed, K skipped", the verdict line last, exit 0 only
#   with PASS). KVM_PATCHES="a.patch ..." (KERNEL=debian-7.2): the
#   kernel built from source with them (vm/run.sh); a known bug's
#   twin whose fix is among them must pass instead of fail (below).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
level=${1:-}
opts=()   # --kmod: the module's suite first, in the same boot
[[ ${2:-} != --kmod ]] || opts=(--kmod)
B=$ROOT/build-arm64/bin
T="$B/dirty_log_test"

# Known kernel bugs, each with the fix that cures it (a patch in its
# docs/findings/ folder). known_bug FIX MESSAGE ARGS...: the dirty_log_test
# run ARGS shows the bug, so it must fail with MESSAGE; on a kernel that
# carries FIX (KVM_PATCHES, vm/arm64/kernel-build.sh, names a file with
# FIX's content) it must pass instead. The day a Debian kernel passes one,
# the kernel is fixed: the twin then fails as "must fail", and moves.
patches=()
read -r -a patches <<<"${KVM_PATCHES:-}"
carries() {
  local p
  for p in ${patches[@]+"${patches[@]}"}; do cmp -s "$p" "$ROOT/$1" && return 0; done
  return 1
}
known_bug() {
  local fix=$1 message=$2
  shift 2
  if carries "$fix"; then echo "=$T $*"; else echo "!$T $* ~ $message"; fi
}
# arm64's ring-only dirty logging on huge pages (docs/findings/
# arm64-ring-only-hugepages/, with the kernels it was measured on). A page
# is lost only when the guest writes two pages of one 2 MiB block between
# collections, which a slow guest (TCG on a busy host) may not do in 2
# short intervals: 8 intervals of 100 ms make a run that loses nothing on a
# buggy kernel unlikely however slow the guest is, short of not running.
ring_fix=docs/findings/arm64-ring-only-hugepages/fix.patch
known_bug=(
  "$(known_bug "$ring_fix" missed -M dirty-ring -b 16M -i 8 -I 100 -s anonymous_hugetlb)"
)
# The collector signalled during every KVM_RESET_DIRTY_RINGS (docs/findings/
# dirty-ring-reset-eintr/): a kernel that drops harvested entries when a
# signal cuts the reset short fails it, as x86's verdict set does. Debian
# 13's 6.12 has no such bail and passes; 7.x fails it unless KVM_PATCHES
# carries the finding's fix.
reset_signals="=$T -M all -v 2 -b 16M -i 8 -I 10 --reset-signals --stall-timeout 20"

case $level in
  short)
    tests=(
      "=$T -M all -b 16M -i 3"
      "=$T -M ring-with-bitmap -b 16M -i 2 -s anonymous_hugetlb"
      "${known_bug[@]}"
      "$reset_signals"
      "!$T -M ring-with-bitmap -b 16M -i 2 --inject drop-dirty ~ missed"
      "=$B/dirty_log_perf -M all -b 16M -i 2"
      "=$B/spp_test"
    )
    hugepages=24 ;;
  full)
    tests=(
      "=$T -M all -b 64M -i 6"
      "=$T -M all -b 32M -i 3 -v 2 -x 2"
      "=$T -M dirty-log -b 32M -i 3 -s anonymous_hugetlb"
      "=$T -M clear-log -b 32M -i 3 -s anonymous_hugetlb"
      "=$T -M ring-with-bitmap -b 32M -i 3 -s anonymous_hugetlb"
      "=$T -M dirty-log -b 32M -i 3 -s anonymous_thp"
      "=$T -M clear-log -b 32M -i 3 -s anonymous_thp"
      "=$T -M ring-with-bitmap -b 32M -i 3 -s anonymous_thp"
      "=$T -M ring-with-bitmap -b 32M -i 3 -s shared_hugetlb --log-from-start"
      "${known_bug[@]}"
      "$(known_bug "$ring_fix" missed -M dirty-ring -b 16M -i 8 -I 100 -s anonymous_thp)"
      "$reset_signals"
      "!$T -M dirty-log -b 16M -i 2 --inject drop-dirty ~ missed"
      "!$T -M clear-log -b 16M -i 2 --inject skip-clear ~ stale"
      "!$T -M dirty-ring -b 16M -i 6 --inject skip-reset ~ KVM_RESET_DIRTY_RINGS reset"
      "!$T -M ring-with-bitmap -b 16M -i 2 --inject drop-dirty ~ missed"
      "=$B/dirty_log_perf -M all -b 64M -i 3"
      "=$B/spp_test"
    )
    hugepages=48 ;;
  *) echo "usage: vm/arm64/suite.sh full|short [--kmod]" >&2; exit 2 ;;
esac

for p in "$T" "$B/dirty_log_perf" "$B/spp_test"; do
  [[ -x $p ]] || { echo "arm64-suite: $p missing: make build ARCH=arm64" >&2; exit 2; }
done

ARM64_HUGEPAGES=${ARM64_HUGEPAGES:-$hugepages} ARM64_TIMEOUT=${ARM64_TIMEOUT:-1500} \
  exec "$ROOT/vm/run.sh" --arch arm64 ${opts[@]+"${opts[@]}"} "${tests[@]}"
