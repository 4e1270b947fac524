#!/bin/sh
# Guest side of `make bench-compare` (bench/compare.sh runs it through
# vm/run.sh as a VM_TESTS program; the two binaries come in as VM_FILES):
# the kernel's dirty_log_perf_test and our dirty_log_perf, alternately, at
# equal settings, ROUNDS times:
#   clear-log:  kernel default (manual protect, get + clear)  vs  ours -M clear-log
#   dirty-log:  kernel -g (GET only)                          vs  ours -M dirty-log -g
# Every run's output is printed between "=== begin NAME ROUND" and
# "=== end NAME ROUND rc=N" lines, ours as its one-line JSON; the host
# (bench/compare_report.py) parses them out of the KTAP.
# Usage: compare-guest.sh KERNEL_TEST OUR_PERF ROUNDS MEM ITERATIONS CPL
kernel=$1 ours=$2 rounds=$3 mem=$4 iters=$5 cpl=$6
fails=0
run() { # run NAME ROUND CMD...
	name=$1 round=$2
	shift 2
	echo "=== begin $name $round: $*"
	"$@" >/tmp/cmp.out 2>&1
	rc=$?
	cat /tmp/cmp.out
	case $name in ours-*) [ -f /tmp/cmp.json ] && tr -d '\n' </tmp/cmp.json && echo ;; esac
	rm -f /tmp/cmp.json
	echo "=== end $name $round rc=$rc"
	[ $rc -eq 0 ] || fails=$((fails + 1))
}
r=1
while [ $r -le "$rounds" ]; do
	# The order flips every round, so neither side always runs first.
	if [ $((r % 2)) -eq 1 ]; then
		run kernel-clear $r "$kernel" -v 1 -b "$mem" -i "$iters"
		run ours-clear $r "$ours" -M clear-log -v 1 -b "$mem" -i "$iters" -u "$cpl" --json /tmp/cmp.json
		run kernel-get $r "$kernel" -g -v 1 -b "$mem" -i "$iters"
		run ours-get $r "$ours" -M dirty-log -g -v 1 -b "$mem" -i "$iters" -u "$cpl" --json /tmp/cmp.json
	else
		run ours-clear $r "$ours" -M clear-log -v 1 -b "$mem" -i "$iters" -u "$cpl" --json /tmp/cmp.json
		run kernel-clear $r "$kernel" -v 1 -b "$mem" -i "$iters"
		run ours-get $r "$ours" -M dirty-log -g -v 1 -b "$mem" -i "$iters" -u "$cpl" --json /tmp/cmp.json
		run kernel-get $r "$kernel" -g -v 1 -b "$mem" -i "$iters"
	fi
	r=$((r + 1))
done
echo "=== done fails=$fails"
[ $fails -eq 0 ]
