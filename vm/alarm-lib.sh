# What both alarm checks judge alike: in the guest (vm/ring-alarm-guest.sh,
# vm/qemu-alarm-guest.sh) a watcher's `dirtyscope stats --json --cumulative`
# log, on the host (vm/ring-alarm.sh, vm/qemu-alarm.sh) the boot. Sourced: in
# the guest from /bin/alarm-lib (vm/boot.sh puts it there), on a host from
# beside the script.
# shellcheck shell=sh disable=SC2034 # counts sets what its callers read
# last FILE: the last batch that still holds the VM (the module forgets a
# destroyed VM, so a later batch may be empty for kmod; BPF keeps its maps).
last() { grep '"vcpus":\[{' "$1" | tail -n 1; }
# first FILE NAME: NAME's top-level value (its first occurrence) there.
first() { last "$1" | grep -o "\"$2\":[^,}]*" | head -n 1 | cut -d: -f2 | tr -d '"'; }
# counts FILE SRC: SRC's pushes, resets, full (ring-full exits), hwm, alarm,
# late and over (vCPUs) and size (the largest ring size, empty if unknown).
counts() {
	pushes=$(first "$1" "$2.ring_pushes") resets=$(first "$1" "$2.ring_resets")
	full=$(first "$1" "$2.ring_full_exits") hwm=$(first "$1" "$2.occupancy_hwm")
	alarm=$(first "$1" "$2.ring_alarm") late=$(first "$1" "$2.ring_late_vcpus")
	over=$(first "$1" "$2.ring_overrun_vcpus")
	size=$(last "$1" | grep -o "\"$2.ring_size\":[0-9]*" | cut -d: -f2 | sort -n | tail -n 1)
}
# counted: what every watcher owes whatever the kernel does; ok=0 if not.
counted() {
	[ "${pushes:-0}" -gt 0 ] || { ok=0; echo "# no ring pushes counted"; }
	[ "${resets:-0}" -gt 0 ] || { ok=0; echo "# no ring resets counted"; }
	[ "${full:-0}" -gt 0 ] || { ok=0; echo "# no ring-full exits counted"; }
}
# alarm_plan N: the KTAP header of N results (one a watcher source).
alarm_plan() { echo "KTAP version 1"; echo "1..$1"; n=0 fails=0; }
# verdict NAME FILE: the next result, by $ok; a failure shows the batch judged.
verdict() {
	n=$((n + 1))
	if [ "$ok" = 1 ]; then echo "ok $n $1"; return; fi
	fails=$((fails + 1))
	echo "not ok $n $1"
	last "$2" | cut -c1-800 | sed 's/^/# json: /'
}
# alarm_boot GUEST (host; vm/run.sh's VM_* and KVM_PATCHES set): the boot's
# verdict, but with patched kvm the module's own tests fail too (they count
# ring-full exits against KVM's real soft limit): only GUEST's result counts.
alarm_boot() {
	"$ROOT/vm/run.sh" && return 0
	[ -n "${KVM_PATCHES:-}" ] && grep -qE "^ok [0-9]+ $1" "$VM_OUT/guest.ktap"
}
