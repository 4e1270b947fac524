#!/bin/sh
# Guest side of the ring-overrun alarm check (vm/ring-alarm.sh): `dirtyscope
# stats -p PID` watches a dirty_log_test on a 256-entry ring; for each source
# in SOURCES ("bpf-tp": BPF's classic-tracepoint mode, which cannot see the
# size and must say "unknown") its JSON must give the verdict: ok (Debian's
# kvm: no late or overrun vCPU), late (vm/ring-alarm/soft-limit-half-reserve.patch:
# >= 1 late, none overrun) or overrun (vm/mutants/ring-soft-limit-no-reserve.patch).
# Usage: ring-alarm-guest.sh BIN_DIR ok|overrun|late SOURCES...
# KTAP on stdout (nested under init.sh's step); exit 0 pass, 1 fail.
bin=$1 expect=$2
shift 2
# shellcheck source=alarm-lib.sh
. "$(command -v alarm-lib || echo "${0%/*}/alarm-lib.sh")"
alarm_plan $#
for src in "$@"; do
	flags="--source $src"
	[ "$src" = bpf-tp ] && flags="--source bpf --mode tp"
	json=/tmp/ring-alarm-$src.json
	# The test execs after 2 s, keeping its pid, so the watcher is attached
	# before the first push. dirty-ring-wait with a 300 ms collector keeps a
	# full ring visible for a while (kmod forgets a destroyed VM, and on the
	# mutant the run exits at the first harvest).
	sh -c "sleep 2; exec $bin/dirty_log_test -M dirty-ring-wait -c 256 -b 16M -i 6 -I 300" \
		>/tmp/ring-alarm-dlt.out 2>&1 &
	vmm=$!
	# shellcheck disable=SC2086 # flags is a word list on purpose
	# Verbose libbpf: a refused program's verifier log is in the failure.
	DIRTYSCOPE_BPF_VERBOSE=1 $bin/dirtyscope stats -p $vmm -i 0.1 --json --cumulative $flags \
		>"$json" 2>/tmp/ring-alarm-err &
	watcher=$!
	wait $vmm
	dlt=$?
	wait $watcher
	rc=$?
	counts "$json" "${src%-tp}"
	size=${size:-null}
	echo "# $src: dirty_log_test exit $dlt, stats exit $rc; pushes $pushes resets $resets" \
		"full-exits $full hwm $hwm size $size alarm $alarm late-vcpus $late overrun-vcpus $over"
	ok=1
	[ "$rc" = 0 ] || { ok=0; tail -n 40 /tmp/ring-alarm-err | sed 's/^/# stats: /'; }
	tail -n 4 /tmp/ring-alarm-dlt.out | sed 's/^/# dirty_log_test: /'
	counted
	if [ "$src" = bpf-tp ]; then
		# No size in the classic event: unknown, and never an all-clear.
		[ "$alarm" = unknown ] && [ "$size" = null ] || { ok=0; echo "# want alarm unknown, size null"; }
	elif [ "$expect" = ok ]; then
		[ "$alarm" = ok ] && [ "$late" = 0 ] && [ "$over" = 0 ] && [ "$size" = 256 ] ||
			{ ok=0; echo "# want alarm ok, 0 late, 0 overrun, size 256"; }
		[ "$dlt" = 0 ] || ok=0
	elif [ "$expect" = late ]; then
		# Past the soft limit, never full: late, and no overrun.
		[ "$alarm" = late ] && [ "${late:-0}" -ge 1 ] && [ "$over" = 0 ] && [ "$size" = 256 ] ||
			{ ok=0; echo "# want alarm late, >= 1 late vCPU, 0 overrun, size 256"; }
	else
		[ "$alarm" = overrun ] && [ "${over:-0}" -ge 1 ] && [ "$size" = 256 ] ||
			{ ok=0; echo "# want alarm overrun, >= 1 overrun vCPU, size 256"; }
		# The run itself must notice too (a full ring at a harvest).
		[ "$dlt" != 0 ] || echo "# note: dirty_log_test passed on the mutant"
	fi
	verdict "ring alarm, source $src, expect $expect" "$json"
done
[ $fails = 0 ]
