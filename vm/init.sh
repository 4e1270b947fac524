#!/bin/busybox sh
# /init of both guests' initramfs (vm/run.sh stages it): the module suite,
# then the programs of /tests/plan, then powers off. Each step is one
# top-level KTAP result on the results port (vm/guest.sh); test programs'
# own KTAP is indented below their step, as KTAP nests subtests.
# x86-64 loads KVM as modules (kvm_amd on TCG's emulated SVM), so the module
# is also tested loaded before kvm.ko and across kvm.ko's reload. arm64's
# KVM is built in (VHE), and its run may carry no module (vm/run.sh --arch
# arm64 without --kmod).
. /guest.sh
modular=0
[ "$(uname -m)" = x86_64 ] && modular=1
kmod=0
[ -f /dirtyscope.ko ] && kmod=1
# Every hook attached: the VM-teardown hook too, unless the module was built
# without one (its status then names what the kernel lacks, shown under the
# step); on arm64 also the guest-fault tracepoint and the stage-2 ftrace hook.
attached() {
	! status_has ": detached" && if [ $modular = 1 ]; then
		status_has "kvm: module" && teardown_hook
	else
		status_has '^kvm: built-in' && status_has '^teardown_probe: kvm_arch_destroy_vm' &&
			status_has '^tracepoint kvm_guest_fault: attached' &&
			status_has '^function kvm_pgtable_stage2_map: attached'
	fi || show_status
}
teardown_hook() {
	status_has "^teardown_probe: kvm_arch_destroy_vm" && return 0
	status_has "^left_out: teardown_probe" && status_has "^teardown_probe: none" &&
		grep "^left_out:" /sys/kernel/debug/dirtyscope/status
}
detached() { status_has "kvm: absent" && ! status_has ": attached" || show_status; }
insmod_before_kvm() { ! grep -q '^kvm ' /proc/modules && insmod /dirtyscope.ko && detached; }
load_kvm() {
	modprobe kvm_amd && test -c /dev/kvm && attached || return 1
	# Rebuilt kvm modules are unsigned and built out of tree: taint OE.
	[ -f /etc/kvm_patches ] && echo "kvm.ko taint (rebuilt): $(cat /sys/module/kvm/taint)"
	return 0
}
unload_kvm() { rmmod kvm_amd && rmmod kvm && detached; }
# Every unload logs the module's own allocation count; a leak shows as
# allocations != frees.
balanced() {
	grep 'dirtyscope: exit: allocations=' /tmp/dmesg.txt >/tmp/exits.txt
	[ -s /tmp/exits.txt ] || { echo "no 'exit: allocations=' line"; return 1; }
	sed 's/.*allocations=\([0-9]*\) frees=\([0-9]*\).*/\1 \2/' /tmp/exits.txt |
		while read -r a f; do [ "$a" = "$f" ] || { echo "allocations $a != frees $f"; exit 1; }; done
}
ntests=$(($(grep -c . /tests/plan) + $(grep -c . /tests/extra)))
# An installed kselftest tree (vm/run.sh VM_STAGE_DIR): one more step.
[ -f /kselftest/run_kselftest.sh ] && ntests=$((ntests + 1))
# VM_MODULE_SUITE=0 (benchmark and alarm boots): the module loaded, its suite not run.
suite=${VM_MODULE_SUITE:-1}
[ $kmod = 1 ] || suite=0
# Two steps before the suite and two after it, or /dev/kvm alone.
out "1..$((kmod * 3 + 1 + suite * (modular == 1 ? 6 : 4) + ntests))"
out "# guest kernel $(uname -r) $(uname -m), uptime at /init: $(up) s"
if [ $modular = 1 ]; then
	# KVM on PREEMPT_RT needs a constant TSC, which QEMU's TCG cannot
	# advertise; vm/run.sh stages kmod/tests/tcg-tsc/'s module for such a kernel.
	if [ -f /tcg_constant_tsc.ko ] && ! grep -qw constant_tsc /proc/cpuinfo; then
		insmod /tcg_constant_tsc.ko && out "# TCG's fixed-rate TSC marked constant for KVM on PREEMPT_RT (kmod/tests/tcg-tsc)"
	fi
	# Set when vm/run.sh packed kvm modules rebuilt with KVM_PATCHES.
	if [ -f /etc/kvm_patches ]; then
		out "# kvm modules rebuilt from linux-source with patches: $(awk '{ print $1 }' /etc/kvm_patches | tr '\n' ' ')"
		[ -s /etc/kvm_patches ] || out "# (none: the unpatched control)"
	fi
	step "insmod dirtyscope.ko before kvm.ko" insmod_before_kvm
	step "kvm.ko loaded after dirtyscope.ko: probes attach" load_kvm
	first="dirtyscope_kmod_test (module loaded before kvm)" again="dirtyscope_kmod_test (module loaded after kvm)"
else
	dmesg | grep -iE 'kvm \[|kvm:' | diag
	step dev_kvm test -c /dev/kvm
	[ $kmod = 1 ] && step "insmod dirtyscope.ko: every hook attached" eval 'insmod /dirtyscope.ko && attached'
	first="dirtyscope_kmod_test" again="dirtyscope_kmod_test (after the reload)"
fi
# What this kernel's KVM offers for dirty tracking (diagnostics only).
/bin/kvm_caps 2>&1 | diag
# Program limits: VM_KMOD_TEST_TIMEOUT and VM_TEST_TIMEOUT, which vm/run.sh
# always passes on the kernel command line.
if [ "$suite" = 1 ]; then
	prog "$first" "$VM_KMOD_TEST_TIMEOUT" /bin/dirtyscope_kmod_test /dirtyscope.ko
	if [ $modular = 1 ]; then
		step "kvm.ko unloaded under dirtyscope.ko: probes detach" unload_kvm
		step "kvm.ko loaded again: probes reattach" load_kvm
	fi
	step "dirtyscope.ko reloaded after kvm.ko" reload_module
	# The full 10 s reset flood ran in the first run; 2 s repeat it here.
	prog "$again" "$VM_KMOD_TEST_TIMEOUT" /bin/dirtyscope_kmod_test --flood-ms 2000 /dirtyscope.ko
	# SPP hooks: counts, events, permissions; also reloads the module with pages registered.
	prog "spp_kmod_test" "$VM_KMOD_TEST_TIMEOUT" /bin/spp_kmod_test /dirtyscope.ko
fi
# arm64's plan holds must-fail twins, whose "not ok" lines are what they
# are expected to print, not failures of this run: diagnostics there.
[ $modular = 1 ] || nest() { sed 's/^/#   /' >&3; }
run_plan /tests/plan
nest() { sed 's/^/    /' >&3; }
# ARM64_KMOD_EXTRA's module programs, after the plan.
run_plan /tests/extra
# The kernel's runner (its /dev/stdout linked) through a pipe, since on
# prog's truncated file its own result lines would overwrite it.
if [ -f /kselftest/run_kselftest.sh ]; then
	[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
	prog "run_kselftest.sh (kselftest tree in /kselftest)" "$VM_TEST_TIMEOUT" \
		sh -c 'set -o pipefail; sh /kselftest/run_kselftest.sh | cat'
fi
if [ $kmod = 1 ]; then
	step "rmmod dirtyscope after its VMs exited" final_rmmod
	step "dmesg has no warnings, oopses or leaks" eval 'dmesg_clean "Unable to handle|Internal error" && balanced'
fi
finish "# dirtyscope-vm: done, uptime at poweroff: $(up) s"
