#!/usr/bin/env bash
# The arm64 test suite: dirty_log_test, dirty_log_perf and
# spp_test cross-built for aarch64 (build-arm64/, `make build ARCH=arm64`),
# run by vm/arm64/boot.sh in Debian 13's arm64 6.12 kernel with KVM at EL2.
#
# Usage: vm/arm64/suite.sh full|short [--kmod]
#   full   every mode on anonymous, hugetlb and THP memory, 2 vCPUs and 2
#          memslots, the negative twins, dirty_log_perf, spp_test
#          (`make vm-test ARCH=arm64`; about 10 min here)
#   short  every mode once on small memory, ring-with-bitmap on hugetlb,
#          the known bug, one twin, dirty_log_perf, spp_test (ctest
#          vm.arm64_selftests with --kmod; about 1.5 min of QEMU here)
#   --kmod also run the module's suite, in the same boot (vm/arm64/boot.sh
#          --kmod)
# Prefixes (boot.sh): "=" must run (a skip fails), "!" must fail (exit 1),
# and with " ~ REGEX" its output must match REGEX: the fault it names.
# Ends with the runner's "N passed, M failed, K skipped" and a line naming
# the suite; exit 0 only when nothing failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
level=${1:-}
kmod=0
[[ ${2:-} == --kmod ]] && kmod=1
B=$ROOT/build-arm64/bin
T="$B/dirty_log_test"

# KNOWN KERNEL BUG (found by this suite, Debian 6.12 arm64): with
# KVM_CAP_DIRTY_LOG_RING_ACQ_REL alone (no backup bitmap), a memslot on huge
# pages loses writes. arm64's user_mem_abort() decides "logging" by
# memslot_is_logging(), which tests slot->dirty_bitmap, and a ring-only VM
# has none; so a write fault on a write-protected 2 MiB block relaxes the
# whole block and pushes one gfn, and the other 511 pages are written
# unseen (dirty-ring-wait on huge pages stalls for the same reason: the
# ring never fills). These must fail with missed pages: the day they pass,
# the kernel is fixed and they move to the "=" list.
known_bug=(
  "!$T -M dirty-ring -b 16M -i 2 -s anonymous_hugetlb ~ missed"
)

case $level in
  short)
    tests=(
      "=$T -M all -b 16M -i 3"
      "=$T -M ring-with-bitmap -b 16M -i 2 -s anonymous_hugetlb"
      "${known_bug[@]}"
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
      "!$T -M dirty-ring -b 16M -i 2 -s anonymous_thp ~ missed"
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

# One boot: with --kmod the module's suite runs first in the same guest.
opts=()
((kmod == 0)) || opts=(--kmod)
rc=0
ARM64_HUGEPAGES=${ARM64_HUGEPAGES:-$hugepages} ARM64_TIMEOUT=${ARM64_TIMEOUT:-1500} \
  "$ROOT/vm/arm64/boot.sh" ${opts[@]+"${opts[@]}"} "${tests[@]}" || rc=1
echo "arm64 suite ($level$( ((kmod)) && echo ', module')): $( ((rc == 0)) && echo passed || echo FAILED)"
exit $rc
