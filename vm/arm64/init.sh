#!/bin/busybox sh
# /init of the arm64 initramfs (vm/arm64/boot.sh packs it). Reports KVM's
# state, runs each program in /tests/ in order (a static aarch64 binary or a
# script, listed in /tests/order) and powers off. There is one console
# (the virt machine's PL011), so results are KTAP lines on it, prefixed
# "ARM64: " to tell them from kernel messages; the host greps for them.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp
export PATH=/bin:/sbin
out() { echo "ARM64: $*"; }
# The kernel's own clock at /init: boot time without QEMU start-up.
out "# uptime at /init: $(cut -d' ' -f1 /proc/uptime) s"
out "# kernel $(uname -r) $(uname -m)"
dmesg | grep -iE 'kvm' | sed 's/^/ARM64: # dmesg: /'
diag() { sed 's/^/ARM64: #   /'; }
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
out "1..$n"
out "# uptime at poweroff: $(cut -d' ' -f1 /proc/uptime) s"
poweroff -f
