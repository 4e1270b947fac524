#!/bin/busybox sh
# /init of the arm64 module-test initramfs (vm/arm64/kmod-test.sh packs it):
# loads /dirtyscope.ko into the arm64 kernel (KVM built in, VHE), runs the
# module's test programs, reloads and unloads the module and judges the
# kernel log. KTAP on the results port (vm/guest.sh), the programs' own
# nested under their steps. Powers off at the end.
. /guest.sh
status() { cat /sys/kernel/debug/dirtyscope/status; }
attached() {
	status | grep -q '^kvm: built-in' && ! status | grep -q ': detached' &&
		status | grep -q '^teardown_probe: kvm_arch_destroy_vm' &&
		status | grep -q '^tracepoint kvm_guest_fault: attached' &&
		status | grep -q '^function kvm_pgtable_stage2_map: attached' ||
		{ status; return 1; }
}
load() { insmod /dirtyscope.ko && attached; }
reload() { rmmod dirtyscope && load; }
final_rmmod() { rmmod dirtyscope && ! grep -q '^dirtyscope ' /proc/modules; }
# Every unload logs the module's own allocation count; a leak shows as
# allocations != frees.
balanced() {
	grep 'dirtyscope: exit: allocations=' /tmp/dmesg.txt >/tmp/exits.txt
	[ -s /tmp/exits.txt ] || { echo "no 'exit: allocations=' line"; return 1; }
	sed 's/.*allocations=\([0-9]*\) frees=\([0-9]*\).*/\1 \2/' /tmp/exits.txt |
		while read -r a f; do [ "$a" = "$f" ] || { echo "allocations $a != frees $f"; exit 1; }; done
}
out "KTAP version 1"
# Eight steps and programs, and each ARM64_KMOD_EXTRA program.
out "1..$((8 + $(grep -c . /tests/extra)))"
out "# uptime at /init: $(up) s"
out "# kernel $(uname -r) $(uname -m)"
dmesg | grep -iE 'kvm \[|kvm:' | diag
step "/dev/kvm present (KVM built in)" test -c /dev/kvm
[ -x /tests/kvm_caps ] && /tests/kvm_caps 2>&1 | diag
step "insmod dirtyscope.ko: every hook attached" load
prog "dirtyscope_kmod_test" "${ARM64_TEST_TIMEOUT:-600}" /tests/dirtyscope_kmod_test /dirtyscope.ko
prog "spp_kmod_test" "${ARM64_TEST_TIMEOUT:-600}" /tests/spp_kmod_test /dirtyscope.ko
step "dirtyscope.ko reloaded: hooks attach again" reload
prog "dirtyscope_kmod_test (after the reload)" "${ARM64_TEST_TIMEOUT:-600}" /tests/dirtyscope_kmod_test /dirtyscope.ko
# ARM64_KMOD_EXTRA: "PROGRAM ARGS" lines.
if [ -s /tests/extra ]; then
	while read -r bin args; do
		[ -n "$bin" ] || continue
		# shellcheck disable=SC2086 # args are a word list on purpose
		prog "$bin $args" "${ARM64_TEST_TIMEOUT:-600}" /tests/$bin $args
	done </tests/extra
fi
step "rmmod dirtyscope after its VMs exited" final_rmmod
step "dmesg: no warnings or oopses, allocations == frees at every unload" \
	eval 'dmesg_clean "Unable to handle|Internal error" && balanced'
out "# uptime at poweroff: $(up) s"
sync
poweroff -f
