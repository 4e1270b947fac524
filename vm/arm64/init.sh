#!/bin/busybox sh
# /init of the arm64 initramfs (vm/arm64/boot.sh packs it). Reports KVM's
# state, runs each program in /tests/ in order (a static aarch64 binary or a
# script, listed in /tests/order) and powers off. KTAP goes to $RESULTS,
# the second port (vm/arch/arm64.conf), which QEMU writes to a file.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp
export PATH=/bin:/sbin
exec 3>"$RESULTS"
out() { echo "$*" >&3; }
out "KTAP version 1"
out "1..$((1 + $(grep -c . /tests/order)))"
# The kernel's own clock at /init: boot time without QEMU start-up.
out "# uptime at /init: $(cut -d' ' -f1 /proc/uptime) s"
out "# kernel $(uname -r) $(uname -m)"
dmesg | grep -iE 'kvm' | sed 's/^/# dmesg: /' >&3
diag() { sed 's/^/#   /' >&3; }
# result RC NAME
. /ktap.sh
if [ -c /dev/kvm ]; then result 0 dev_kvm; else result 1 dev_kvm; fi
for t in $(cat /tests/order 2>/dev/null); do
	start=$(cut -d' ' -f1 /proc/uptime)
	timeout "${ARM64_TEST_TIMEOUT:-600}" "/tests/$t" </dev/null >/tmp/out 2>&1
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	diag </tmp/out
	out "# $t: $start -> $end s (guest uptime)"
	result $rc "$t"
done
out "# uptime at poweroff: $(cut -d' ' -f1 /proc/uptime) s"
poweroff -f
