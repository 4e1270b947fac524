#!/usr/bin/env bash
# QEMU as the VMM that `dirtyscope stats` watches (`make qemu-alarm`): the
# host's qemu-system-x86_64, its libraries and firmware are staged into the
# nested VM (vm/run.sh VM_FILES), where vm/qemu-alarm-guest.sh runs it and
# checks what the watchers counted. Knobs (QEMU_ALARM_OUT, _RING, _SECONDS,
# _SOURCES, _EXPECT, KVM_PATCHES): docs/kernels-and-vm-harness.md, "The
# ring-overrun alarm and QEMU".
set -euo pipefail
WHO="qemu-alarm"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=alarm-lib.sh
. "$ROOT/vm/alarm-lib.sh"
cd "$ROOT"
OUT=${QEMU_ALARM_OUT:-$BUILD_DIR/qemu-alarm}
RING=${QEMU_ALARM_RING:-1024}
SECS=${QEMU_ALARM_SECONDS:-10}
SOURCES=${QEMU_ALARM_SOURCES:-kmod bpf}
EXPECT=${QEMU_ALARM_EXPECT:-ok}
# The rebuilt-kvm cache is the repository's (shared, locked).
export KVM_SRC_CACHE=${KVM_SRC_CACHE:-$ROOT/build/kvm-src}
[[ -x $BUILD_DIR/bin/dirtyscope ]] || die "$BUILD_DIR/bin/dirtyscope not built"
qemu=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64"
mkdir -p "$OUT"
# The guest: 32-bit multiboot ELF, QEMU's -kernel loads it.
gcc -m32 -c vm/qemu-guest/dirtier.S -o "$OUT/dirtier.o"
ld -m elf_i386 -T vm/qemu-guest/dirtier.ld -o "$OUT/dirtier.elf" "$OUT/dirtier.o"
# Firmware: of the folders QEMU looks in (-L help), these two suffice with
# -nodefaults (no NIC option ROM).
fw="/usr/share/qemu /usr/share/seabios"
export BUILD_DIR
VM_MODULE_SUITE=0 VM_FILES="$qemu $BUILD_DIR/bin/dirtyscope $OUT/dirtier.elf $fw" \
  VM_OUT=$OUT/vm VM_MEM=${VM_MEM:-2G} VM_TIMEOUT=${VM_TIMEOUT:-600} \
  VM_TESTS="$ROOT/vm/qemu-alarm-guest.sh $BUILD_DIR/bin $qemu $OUT/dirtier.elf $RING $SECS $EXPECT $SOURCES" \
  alarm_boot qemu-alarm-guest.sh
