#!/bin/busybox sh
# /init of the arm64 initramfs (vm/arm64/boot.sh stages it): checks
# /dev/kvm, runs each test of /tests/plan and powers off. With
# /dirtyscope.ko (boot.sh --kmod) it also loads the module into the kernel
# (KVM built in, VHE) and runs its suite first, then after the plan the
# extra module programs, rmmod and the kernel-log check. KTAP on the
# results port (vm/guest.sh).
. /guest.sh
kmod=0
[ -f /dirtyscope.ko ] && kmod=1
attached() {
	status_has '^kvm: built-in' && ! status_has ': detached' &&
		status_has '^teardown_probe: kvm_arch_destroy_vm' &&
		status_has '^tracepoint kvm_guest_fault: attached' &&
		status_has '^function kvm_pgtable_stage2_map: attached' || show_status
}
load() { insmod /dirtyscope.ko && attached; }
reload() { rmmod dirtyscope && load; }
# Every unload logs the module's own allocation count; a leak shows as
# allocations != frees.
balanced() {
	grep 'dirtyscope: exit: allocations=' /tmp/dmesg.txt >/tmp/exits.txt
	[ -s /tmp/exits.txt ] || { echo "no 'exit: allocations=' line"; return 1; }
	sed 's/.*allocations=\([0-9]*\) frees=\([0-9]*\).*/\1 \2/' /tmp/exits.txt |
		while read -r a f; do [ "$a" = "$f" ] || { echo "allocations $a != frees $f"; exit 1; }; done
}
tmo=${ARM64_TEST_TIMEOUT:-600}
# /dev/kvm and the plan; with the module its five steps and programs
# before, and the extras, rmmod and the log check after.
out "1..$((1 + $(grep -c . /tests/plan) + kmod * (7 + $(grep -c . /tests/extra))))"
# The kernel's own clock at /init: boot time without QEMU start-up.
out "# uptime at /init: $(up) s"
out "# kernel $(uname -r) $(uname -m)"
dmesg | grep -iE 'kvm \[|kvm:' | diag
step dev_kvm test -c /dev/kvm
if [ $kmod = 1 ]; then
	step "insmod dirtyscope.ko: every hook attached" load
	prog "dirtyscope_kmod_test" "$tmo" /tests/dirtyscope_kmod_test /dirtyscope.ko
	prog "spp_kmod_test" "$tmo" /tests/spp_kmod_test /dirtyscope.ko
	step "dirtyscope.ko reloaded: hooks attach again" reload
	prog "dirtyscope_kmod_test (after the reload)" "$tmo" /tests/dirtyscope_kmod_test --flood-ms 2000 /dirtyscope.ko
fi
# A plan test's own results stay diagnostics: a must-fail twin's "not ok"
# lines are what it is expected to print, not failures of this run.
nest() { sed 's/^/#   /' >&3; }
run_plan /tests/plan
nest() { sed 's/^/    /' >&3; }
if [ $kmod = 1 ]; then
	run_plan /tests/extra
	step "rmmod dirtyscope after its VMs exited" final_rmmod
	step "dmesg: no warnings or oopses, allocations == frees at every unload" \
		eval 'dmesg_clean "Unable to handle|Internal error" && balanced'
fi
finish "# uptime at poweroff: $(up) s"
