#!/bin/sh
# Guest side of `make bench-scale` (bench/scale.sh runs it directly where
# /dev/kvm exists, else through vm/run.sh as a VM_TESTS program, with the
# binary and the plan coming in as VM_FILES): one dirty_log_perf run per
# line of PLAN ("NAME ARGS..."), in order. Each run's output is printed
# between "=== begin NAME: ARGS" and "=== end NAME rc=N" lines, its JSON
# as one line just before the end line; the host picks them out.
# Usage: scale-guest.sh DIRTY_LOG_PERF PLAN
perf=$1 plan=$2
fails=0
while read -r name args; do
	[ -n "$name" ] || continue
	echo "=== begin $name: $args"
	rm -f /tmp/scale.json
	# shellcheck disable=SC2086 # ARGS are the plan's words
	"$perf" $args --json /tmp/scale.json >/tmp/scale.out 2>&1
	rc=$?
	cat /tmp/scale.out
	[ -f /tmp/scale.json ] && tr -d '\n' </tmp/scale.json && echo
	echo "=== end $name rc=$rc"
	# 4: every mode skipped (a missing capability, or no huge pages left)
	[ $rc -eq 0 ] || [ $rc -eq 4 ] || fails=$((fails + 1))
done <"$plan"
echo "=== done fails=$fails"
[ $fails -eq 0 ]
