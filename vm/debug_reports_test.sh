#!/usr/bin/env bash
# vm/debug_reports.py on fabricated kernel logs (ctest vm.debug_reports,
# no VM): a clean log is 0 of everything; one report of each detector is
# counted once each and fails; --expect passes only when exactly the
# planted detectors reported; bad usage is exit 2.
set -uo pipefail
judge=$(dirname "$0")/debug_reports.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=check.sh
. "$(dirname "$0")/check.sh"

cat >"$tmp/clean" <<'LOG'
[    0.000000] Linux version 7.2.13 (debug)
[   12.345678] dirtyscope: loaded
[   40.000000] dirtyscope: exit: allocations=10 frees=10
LOG
cat >"$tmp/each" <<'LOG'
[   10.1] ======================================================
[   10.1] WARNING: possible circular locking dependency detected
[   10.1] 7.2.13 #1 Tainted: G           O
[   10.2] ------------------------------------------------------
[   10.3] -> #1 (lock_a){+.+.}-{3:3}:
[   11.0] BUG: KASAN: slab-use-after-free in planted_init+0x60/0x100 [dirtyscope_planted]
[   11.1] Read of size 1 at addr ffff888003c4e008 by task insmod/99
[   12.0] UBSAN: shift-out-of-bounds in kmod/core.c:10:5
[   13.0] BUG: sleeping function called from invalid context at kernel/time/sleep_timeout.c:296
[   13.1] BUG: scheduling while atomic: insmod/101/0x00000002
unreferenced object 0xffff888003c4f000 (size 128):
  comm "insmod", pid 102, jiffies 4294900000
LOG
{ echo "[    3.1] BUG: KASAN: wild-memory-access in rcu_is_watching+0x20/0x50"
  echo "[   10.0] dirtyscope-vm: tests begin"; cat "$tmp/clean"; } >"$tmp/boot"
{ echo "[    3.1] WARNING: possible circular locking dependency detected"
  echo "[   10.0] dirtyscope-vm: tests begin"; cat "$tmp/each"; } >"$tmp/both"
check "a boot-time report is the kernel's, named, and fails" exits 1 '0 atomic-sleep reports; 1 during boot, before the tests' "$judge" "$tmp/boot"
check "after the marker only the tests' reports count" exits 1 '^debug kernel: 1 lockdep, 1 KASAN, 1 kmemleak, 1 UBSAN, 2 atomic-sleep reports; 1 during boot' "$judge" "$tmp/both"
check "--expect with a boot-time report fails (lockdep may be off)" exits 1 'during boot, lockdep' "$judge" "$tmp/both" --expect lockdep KASAN kmemleak UBSAN atomic-sleep
check "clean log: 0 of everything, exit 0" exits 0 '^debug kernel: 0 lockdep, 0 KASAN, 0 kmemleak, 0 UBSAN, 0 atomic-sleep reports$' "$judge" "$tmp/clean"
check "each detector once (atomic sleep twice), exit 1" exits 1 '^debug kernel: 1 lockdep, 1 KASAN, 1 kmemleak, 1 UBSAN, 2 atomic-sleep reports$' "$judge" "$tmp/each"
check "the first line of a report is shown" exits 1 'KASAN: .*BUG: KASAN: slab-use-after-free' "$judge" "$tmp/each"
check "--expect every detector that reported: pass" exits 0 '^debug kernel' "$judge" "$tmp/each" --expect lockdep KASAN kmemleak UBSAN atomic-sleep
check "--expect misses a planted bug: fail" exits 1 'lockdep: expected a report, none seen' "$judge" "$tmp/clean" --expect lockdep
check "--expect: a report nobody planted fails" exits 1 'UBSAN: reported, but no bug was planted' "$judge" "$tmp/each" --expect lockdep KASAN kmemleak atomic-sleep
check "unknown detector is usage" exits 2 "unknown detector 'kasan'" "$judge" "$tmp/each" --expect kasan
check "missing log is usage" exits 2 'No such file' "$judge" "$tmp/none"
checks_done debug_reports
