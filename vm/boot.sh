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
# Exit: QEMU's, or 124 when the guest outlived BOOT_TIMEOUT (what it was
# doing then is in OUT/stuck.txt, stuck_report).
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

rm -rf "$out/console.log" "$out/guest.ktap" "$out/programs.b64" "$out/programs" "$out/stuck.txt"
# The monitor on two FIFOs (QEMU's pipe chardev opens them read-write, so
# neither side waits for the other): asked only when the guest outlives its
# limit, what it was doing then (stuck_report).
mon=$out/monitor
rm -f "$mon.in" "$mon.out"
mkfifo "$mon.in" "$mon.out"
exec 5<>"$mon.in" 6<>"$mon.out"
# shellcheck disable=SC2086 # the conf's QEMU flags are word lists
"$QEMU" \
  -machine "$MACHINE" -accel tcg -cpu "$CPU" -smp "${BOOT_SMP:-1}" -m "${BOOT_MEM:-1G}" \
  -nographic -no-reboot -net none -chardev "pipe,id=mon,path=$mon" -mon chardev=mon,mode=readline \
  -serial "file:$out/console.log" ${RESULTS_QEMU//\{\}/$out/guest.ktap} ${FILES_QEMU//\{\}/$out/programs.b64} \
  -kernel "$BOOT_KERNEL" -initrd "$out/initramfs.cpio" \
  -append "console=$CONSOLE panic=-1 oops=panic RESULTS=$RESULTS_DEV FILES=$FILES_DEV ${BOOT_APPEND:-}" </dev/null &
qemu=$!
# Nothing outlives this script: an interrupted run takes its QEMU along.
trap 'kill -9 $qemu 2>/dev/null || true; rm -f "$mon.in" "$mon.out"' EXIT
trap 'exit 130' INT TERM
# monitor CMD: one monitor command; its answer (up to the next prompt, at
# most 5 s, terminal escapes dropped) on stdout.
monitor() {
  local line
  echo "$1" >&5
  while IFS= read -r -t 5 line <&6; do
    [[ $line == *"(qemu)"* ]] && break
    printf '%s\n' "$line"
  done | sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\r//g'
}
# stuck_report: what a guest that outlived its limit was doing, into
# OUT/stuck.txt: its CPUs' registers (every architecture) and, where the
# conf names monitor commands that make its kernel print its own account
# (x86: SysRq l and t), the backtraces that account gives of the running
# CPUs and of every user task (the programs), once the console is quiet.
stuck_report() {
  local c i cmds from fresh size=-1
  from=$(wc -l <"$out/console.log")
  # Five looks a second apart: one place each time is a CPU that is stuck
  # there; places that change, one that runs (say, a loop through KVM).
  : >"$out/stuck.txt"
  for i in 1 2 3 4 5; do
    monitor "info registers -a" | grep -oE '^CPU#[0-9]+|(RIP|PC|pc)=[0-9a-f]+.*' >>"$out/stuck.txt" || true
    sleep 1
  done
  IFS=';' read -r -a cmds <<<"${STUCK_MONITOR:-}"
  ((${#cmds[@]})) || return 0
  for c in "${cmds[@]}"; do monitor "$c" >/dev/null; done
  for ((i = 0; i < 30 && size != $(stat -c %s "$out/console.log"); i++)); do
    size=$(stat -c %s "$out/console.log")
    sleep 2
  done
  # What the kernel printed since, timestamps dropped.
  fresh=$(tail -n +$((from + 1)) "$out/console.log" | sed 's/^\[ *[0-9.]*\] //')
  # A block a task (or CPU); kept if it is a user task's (it ends in user
  # space: RIP 0033) or a CPU's; "? " frames and registers dropped.
  awk '
    /^(task:|NMI backtrace|Sched Debug|Showing busy|sysrq: )/ { if (keep) printf "%s", blk; blk = ""; keep = /^NMI/; on = /^(task:|NMI)/ }
    on && /^RIP: 0033/ { keep = 1 }
    on && !/^ *\? |^ *R[A-Z0-9]+:|^Code:|^ *<\/?TASK>|^Call Trace/ { blk = blk $0 "\n" }
    END { if (keep) printf "%s", blk }' <<<"$fresh" >>"$out/stuck.txt"
  # No answer at all: the kernel took no interrupt, not even the keyboard's.
  grep -q 'sysrq: ' <<<"$fresh" ||
    echo "the guest's kernel did not answer SysRq: no CPU took an interrupt" >>"$out/stuck.txt"
}
# The limit, polled while the monitor's own output is drained. Every 10 s
# the conf's KICK_MONITOR (x86: a Shift press) gives the guest an interrupt:
# TCG can leave a guest CPU looping through KVM's run loop with its local
# APIC timer never firing again (seen: a soft lockup of 286 s at the
# interrupt window after a VM exit, ended by one keyboard interrupt, as any
# interrupt re-arms the tick). Real hardware does not lose its timer, so
# this makes up for the emulator, not for the kernel under test; a stall
# long enough to be reported still fails the run's kernel-log check.
end=$((SECONDS + ${BOOT_TIMEOUT:-300})) kick=$((SECONDS + 10))
while kill -0 $qemu 2>/dev/null && ((SECONDS < end)); do
  if [[ -n ${KICK_MONITOR:-} ]] && ((SECONDS >= kick)); then
    echo "$KICK_MONITOR" >&5
    kick=$((SECONDS + 10))
  fi
  read -r -t 1 _ <&6 || true
done
if kill -0 $qemu 2>/dev/null; then
  stuck_report
  kill -9 $qemu 2>/dev/null || true
  wait $qemu || true
  rc=124
else
  wait $qemu || rc=$?
fi
# One base64 tar a program, blank-line separated; a crash cuts the last.
mkdir -p "$out/programs"
[[ ! -f $out/programs.b64 ]] || tr -d '\r' <"$out/programs.b64" | awk -v RS= -v x="base64 -d | tar -x -C '$out/programs' 2>/dev/null" '{ print | x; close(x) }'
exit "${rc:-0}"
