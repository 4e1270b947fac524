#!/bin/busybox sh
# /init of the arm64 initramfs (vm/arm64/boot.sh stages it). Reports KVM's
# state, runs each program in /tests/ in order (a static aarch64 binary or a
# script, listed in /tests/order) and powers off; KTAP on the results port
# (vm/guest.sh).
. /guest.sh
# A test's own results stay diagnostics: a must-fail twin's "not ok" lines
# are what it is expected to print, not failures of this run.
nest() { sed 's/^/#   /' >&3; }
out "KTAP version 1"
out "1..$((1 + $(grep -c . /tests/order)))"
# The kernel's own clock at /init: boot time without QEMU start-up.
out "# uptime at /init: $(up) s"
out "# kernel $(uname -r) $(uname -m)"
dmesg | grep -iE 'kvm' | diag
step dev_kvm test -c /dev/kvm
for t in $(cat /tests/order); do
	prog "$t" "${ARM64_TEST_TIMEOUT:-600}" "/tests/$t"
done
out "# uptime at poweroff: $(up) s"
poweroff -f
