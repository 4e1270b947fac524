#!/bin/busybox sh
# /init of the arm64 module-test initramfs (vm/arm64/kmod-test.sh packs it):
# loads /dirtyscope.ko into the arm64 kernel (KVM built in, VHE), runs the
# module's test programs, reloads and unloads the module and judges the
# kernel log. KTAP goes to $RESULTS, the second port (vm/arch/arm64.conf);
# the programs' own KTAP is indented under their steps. Powers off at the end.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /tmp
export PATH=/bin:/sbin
exec 3>"$RESULTS"
out() { echo "$*" >&3; }
up() { cut -d' ' -f1 /proc/uptime; }
diag() { sed 's/^/#   /' >&3; }
# result RC NAME, step NAME CMD...
. /ktap.sh
# prog NAME TIMEOUT CMD...: a test program; its KTAP is indented under it.
prog() {
	name=$1 tmo=$2
	shift 2
	start=$(up)
	timeout "$tmo" "$@" </dev/null >/tmp/prog.out 2>&1
	rc=$?
	diag </tmp/prog.out
	out "# $name: $start -> $(up) s (guest uptime)"
	result $rc "$name"
}
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
# Only what happened after boot counts. Every unload logs the module's own
# allocation count; a leak shows as allocations != frees.
dmesg_clean() {
	dmesg | tail -n +$(($(wc -l </tmp/dmesg.boot) + 1)) >/tmp/dmesg.txt
	grep dirtyscope /tmp/dmesg.txt
	if grep -E 'WARNING:|BUG:|Oops|Call Trace|leak|refcount_t|Unable to handle|Internal error' /tmp/dmesg.txt; then
		return 1
	fi
	exits=$(grep -c 'dirtyscope: exit: allocations=' /tmp/dmesg.txt)
	[ "$exits" -gt 0 ] || { echo "no 'exit: allocations=' line"; return 1; }
	grep 'dirtyscope: exit: allocations=' /tmp/dmesg.txt | sed 's/.*allocations=\([0-9]*\) frees=\([0-9]*\).*/\1 \2/' |
		while read -r a f; do [ "$a" = "$f" ] || { echo "allocations $a != frees $f"; exit 1; }; done
}

out "KTAP version 1"
# Eight steps and programs, and each ARM64_KMOD_EXTRA program.
out "1..$((8 + $(grep -c . /tests/extra)))"
out "# uptime at /init: $(up) s"
out "# kernel $(uname -r) $(uname -m)"
dmesg >/tmp/dmesg.boot
dmesg | grep -iE 'kvm \[|kvm:' | sed 's/^/# dmesg: /' >&3
step "/dev/kvm present (KVM built in)" test -c /dev/kvm
[ -x /tests/kvm_caps ] && /tests/kvm_caps 2>&1 | sed 's/^/# /' >&3
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
step "dmesg: no warnings or oopses, allocations == frees at every unload" dmesg_clean
out "# uptime at poweroff: $(up) s"
sync
poweroff -f
