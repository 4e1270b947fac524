#!/bin/sh
# Guest side of `make bench-scale` (bench/scale.sh runs it directly where
# /dev/kvm exists, else through vm/run.sh as one VM_TESTS program per run,
# so each run's result reaches the host as soon as it ends): one
# dirty_log_perf run, its output between "=== begin NAME: ARGS" and
# "=== end NAME rc=N wall=Ss" lines, its JSON as one line just before the end line.
# Usage: scale-guest.sh DIRTY_LOG_PERF NAME ARGS...
# Exit: dirty_log_perf's, except 4 (every mode skipped: a missing
# capability, or no huge pages left) counts as done.
perf=$1 name=$2
shift 2
echo "=== begin $name: $*"
started=$(date +%s)
rm -f /tmp/scale.json
"$perf" "$@" --json /tmp/scale.json
rc=$?
[ -f /tmp/scale.json ] && tr -d '\n' </tmp/scale.json && echo
# The wall time includes what dirty_log_perf does not time (building and
# populating the VM), which is most of a big run under TCG.
echo "=== end $name rc=$rc wall=$(($(date +%s) - started))s"
[ $rc -eq 0 ] || [ $rc -eq 4 ]
