#!/usr/bin/env bash
# QEMU against this host's own /dev/kvm, watched by `dirtyscope stats
# --source bpf` (ctest live.qemu_host_alarm). The nested-VM QEMU check
# (vm/qemu-alarm.sh) proves the counts on a known-good KVM; this one
# measures whatever KVM the host has, which is where a backend's ring
# overrun shows (docs/findings/kvm-pvm-cpl0-ring-overrun/). It runs the same
# guest-side script under busybox sh (its shell in the guest), with its
# FIFOs and logs in a private folder (QEMU_ALARM_TMP) instead of /tmp.
#
# It never asserts that the host has a bug: the ring verdict may be ok,
# late or overrun (EXPECT any); what must hold is what the tool owes
# whatever the kernel does: pushes, resets and ring-full exits counted, the
# ring size known, the watcher ending with QEMU. The verdict and the
# high-water are printed for the findings.
# Usage: qemu_host_alarm.sh BUILD_DIR   (env QEMU_ALARM_RING, default 4096)
# Exit 0 pass, 1 fail, 4 skip (a missing capability, named).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=$(cd "${1:?usage: qemu_host_alarm.sh BUILD_DIR}" && pwd)
RING=${QEMU_ALARM_RING:-4096}
skip() { echo "SKIP: $*"; exit 4; }

[[ -c /dev/kvm && -r /dev/kvm && -w /dev/kvm ]] || skip "no usable /dev/kvm on this host"
qemu=$(command -v qemu-system-x86_64) || skip "no qemu-system-x86_64"
busybox=$(command -v busybox) || skip "no busybox (the guest script's shell)"
# The BPF source must attach on this host: one batch over our own pid.
if ! probe=$(timeout 60 "$BUILD_DIR/bin/dirtyscope" stats --source bpf -p $$ -1 2>&1 >/dev/null); then
  skip "dirtyscope stats --source bpf cannot run here: ${probe##*$'\n'}"
fi

work=$(mktemp -d "$BUILD_DIR/qemu-host-alarm.XXXXXX")
trap 'rm -rf "$work"' EXIT
gcc -m32 -c "$ROOT/vm/qemu-guest/dirtier.S" -o "$work/dirtier.o"
ld -m elf_i386 -T "$ROOT/vm/qemu-guest/dirtier.ld" -o "$work/dirtier.elf" "$work/dirtier.o"

mkdir -p "$work/tmp"
rc=0
QEMU_ALARM_TMP=$work/tmp "$busybox" sh "$ROOT/vm/qemu-alarm-guest.sh" "$BUILD_DIR/bin" "$qemu" \
  "$work/dirtier.elf" "$RING" 10 any bpf | tee "$work/ktap" || rc=$?
grep -q '^ok 1 ' "$work/ktap" || rc=1
exit $rc
