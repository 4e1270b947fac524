#!/bin/sh
# Guest side of `make bench-scale` (bench/scale.sh runs it through
# bench/vm_results.py run where /dev/kvm exists, else through vm/run.sh as
# one VM_TESTS program per run, so each run's files reach the host as soon
# as it ends): one dirty_log_perf run, its JSON written to JSON, then one
# line "scale NAME: rc=N wall=Ss".
# Usage: scale-guest.sh DIRTY_LOG_PERF NAME JSON ARGS...
# Exit: dirty_log_perf's, except 4 (every mode skipped: a missing
# capability, or no huge pages left) counts as done.
perf=$1 name=$2 json=$3
shift 3
started=$(date +%s)
"$perf" "$@" --json "$json"
rc=$?
# The wall time includes what dirty_log_perf does not time (building and
# populating the VM), which is most of a big run under TCG.
echo "scale $name: rc=$rc wall=$(($(date +%s) - started))s"
[ $rc -eq 0 ] || [ $rc -eq 4 ]
