#!/usr/bin/env bash
# Packs a staged initramfs and boots it: the only QEMU command line of the
# harness. The architecture's settings are data, vm/arch/ARCH.conf.
# Usage: vm/boot.sh ARCH STAGE OUT
#   STAGE  a folder with the guest's /init and what it runs; this adds
#          busybox with its applets, /guest.sh, /bin/expect, /bin/alarm-lib,
#          /etc/passwd
#   OUT    gets initramfs.cpio, console.log (the kernel console), guest.ktap
#          ($RESULTS, the second port), programs/ ($FILES: vm/guest.sh prog)
# Env: BOOT_KERNEL (image, required), BOOT_BUSYBOX (/bin/busybox),
#      BOOT_TIMEOUT (300 s), BOOT_MEM (1G), BOOT_SMP (1), BOOT_APPEND (more
#      kernel command line; NAME=VALUE words reach /init as environment).
# Exit: QEMU's (124 or 137 when it timed out).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
arch=$1 stage=$2 out=$3
conf=$ROOT/vm/arch/$arch.conf
[[ -f $conf ]] || { echo "vm/boot.sh: no $conf" >&2; exit 2; }
# shellcheck source=arch/x86_64.conf
. "$conf"
busybox=${BOOT_BUSYBOX:-/bin/busybox}
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,etc} "$out"
cp "$busybox" "$stage/bin/busybox"
[[ $APPLETS != all ]] || APPLETS=$("$busybox" --list)
for a in $APPLETS; do
  # A busybox -> busybox link would replace the binary (ELOOP at /init).
  [[ $a == busybox ]] || ln -sf busybox "$stage/bin/$a"
done
cp "$ROOT/vm/guest.sh" "$stage/guest.sh"
cp "$ROOT/vm/expect.sh" "$stage/bin/expect"
cp "$ROOT/vm/alarm-lib.sh" "$stage/bin/alarm-lib"
chmod +x "$stage/init"
# The tests drop to uid 65534 and 1000; names only matter to humans.
printf 'root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n' >"$stage/etc/passwd"
(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) >"$out/initramfs.cpio"

rm -rf "$out/console.log" "$out/guest.ktap" "$out/programs.b64" "$out/programs"
# shellcheck disable=SC2086 # the conf's QEMU flags are word lists
timeout --kill-after=10 "${BOOT_TIMEOUT:-300}" "$QEMU" \
  -machine "$MACHINE" -accel tcg -cpu "$CPU" -smp "${BOOT_SMP:-1}" -m "${BOOT_MEM:-1G}" \
  -nographic -no-reboot -net none -monitor none \
  -serial "file:$out/console.log" ${RESULTS_QEMU//\{\}/$out/guest.ktap} ${FILES_QEMU//\{\}/$out/programs.b64} \
  -kernel "$BOOT_KERNEL" -initrd "$out/initramfs.cpio" \
  -append "console=$CONSOLE panic=-1 oops=panic RESULTS=$RESULTS_DEV FILES=$FILES_DEV ${BOOT_APPEND:-}" </dev/null || rc=$?
# One base64 tar a program, blank-line separated; a crash cuts the last.
mkdir -p "$out/programs"
[[ ! -f $out/programs.b64 ]] || tr -d '\r' <"$out/programs.b64" | awk -v RS= -v x="base64 -d | tar -x -C '$out/programs' 2>/dev/null" '{ print | x; close(x) }'
exit "${rc:-0}"
