#!/bin/busybox sh
# /init of the x86-64 initramfs (vm/run.sh stages it): the module suite,
# then the programs of /tests/plan, then powers off. Each step is one
# top-level KTAP result on the results port (vm/guest.sh); test programs'
# own KTAP is indented below their step, as KTAP nests subtests.
. /guest.sh
# Shared libraries of VM_TESTS binaries, copied by vm/run.sh.
[ -f /etc/ld_library_path ] && export LD_LIBRARY_PATH="$(cat /etc/ld_library_path)"
# The VM-teardown hook too, unless the module was built without one (its
# status then names what the kernel lacks, shown under the step).
attached() {
	status_has "kvm: module" && ! status_has ": detached" && teardown_hook || show_status
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
reload_module() { rmmod dirtyscope && insmod /dirtyscope.ko && attached; }
ntests=0
[ -f /tests/plan ] && ntests=$(grep -c . /tests/plan)
# An installed kselftest tree (vm/run.sh VM_STAGE_DIR): one more step.
[ -f /kselftest/run_kselftest.sh ] && ntests=$((ntests + 1))
# VM_MODULE_SUITE=0 (benchmark and alarm boots): the module loaded, its suite not run.
suite=${VM_MODULE_SUITE:-1}
out "1..$(( (suite == 1 ? 10 : 4) + ntests))"
out "# guest kernel $(uname -r)"
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
# What this kernel's KVM offers for dirty tracking (diagnostics only).
/bin/kvm_caps 2>&1 | sed 's/^/# /' >&3
# Program limits: VM_KMOD_TEST_TIMEOUT and VM_TEST_TIMEOUT, which vm/run.sh
# always passes on the kernel command line.
if [ "$suite" = 1 ]; then
	prog "dirtyscope_kmod_test (module loaded before kvm)" "$VM_KMOD_TEST_TIMEOUT" /bin/dirtyscope_kmod_test /dirtyscope.ko
	step "kvm.ko unloaded under dirtyscope.ko: probes detach" unload_kvm
	step "kvm.ko loaded again: probes reattach" load_kvm
	step "dirtyscope.ko reloaded after kvm.ko" reload_module
	# The full 10 s reset flood ran in the first run; 2 s repeat it here.
	prog "dirtyscope_kmod_test (module loaded after kvm)" "$VM_KMOD_TEST_TIMEOUT" /bin/dirtyscope_kmod_test --flood-ms 2000 /dirtyscope.ko
	# SPP hooks: counts, events, permissions; also reloads the module with pages registered.
	prog "spp_kmod_test" "$VM_KMOD_TEST_TIMEOUT" /bin/spp_kmod_test /dirtyscope.ko
fi
[ -f /tests/plan ] && run_plan /tests/plan
# The kernel's runner (its /dev/stdout linked) through a pipe, since on
# prog's truncated file its own result lines would overwrite it.
if [ -f /kselftest/run_kselftest.sh ]; then
	[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
	prog "run_kselftest.sh (kselftest tree in /kselftest)" "$VM_TEST_TIMEOUT" \
		sh -c 'set -o pipefail; sh /kselftest/run_kselftest.sh | cat'
fi
step "rmmod dirtyscope after its VMs exited" final_rmmod
step "dmesg has no warnings, oopses or leaks" dmesg_clean
finish "# dirtyscope-vm: done"
