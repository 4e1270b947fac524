#!/bin/sh
# stats_inexact_test.sh DIRTY_LOG_TEST: dirty_log_test --stats with the
# module as source is exact while the module tracks the run's VM, and with
# the VM table full (max_vms 0: every event of the VM dropped, counted) it
# says "inexact: N events dropped" and passes, instead of a bare mismatch.
# The first run is the second's negative twin. KTAP; exit 0, 1, or 4 (skip).
# Runs in the nested VM (vm/run.sh VM_TESTS), where dirtyscope.ko is loaded.
bin=${1:?usage: stats_inexact_test.sh DIRTY_LOG_TEST}
param=/sys/module/dirtyscope/parameters/max_vms
args="-M dirty-ring -c 256 --soft-full -b 16M -i 2 --stats --stats-source kmod"
echo "KTAP version 1"
if [ ! -w "$param" ]; then
	echo "1..0 # SKIP $param not writable (dirtyscope.ko not loaded, or not root)"
	exit 4
fi
echo "1..2"
failed=0
result() { # 0/1 name
	if [ "$1" -eq 0 ]; then echo "ok $2"; else echo "not ok $2"; failed=1; fi
}

# shellcheck disable=SC2086 # args is a word list on purpose
out=$("$bin" $args 2>&1)
rc=$?
echo "$out" | grep 'stats:' | sed 's/^ *#* */# /'
echo "$out" | grep -Eq 'stats: kmod\.ring_pushes [0-9]+ == [0-9]+ ring entries' &&
	! echo "$out" | grep -q inexact && [ $rc -eq 0 ]
result $? "1 module tracks the VM: exact, no inexact note (rc $rc)"

old=$(cat "$param")
echo 0 >"$param"
# shellcheck disable=SC2086
out=$("$bin" $args 2>&1)
rc=$?
echo "$old" >"$param"
echo "$out" | grep 'stats:' | sed 's/^ *#* */# /'
echo "$out" | grep -Eq 'stats: kmod\.ring_pushes 0 != [1-9][0-9]* ring entries harvested \(inexact: [1-9][0-9]* events dropped\)' &&
	[ $rc -eq 0 ]
result $? "2 max_vms 0: 'inexact: N events dropped', the mode passes (rc $rc)"
exit $failed
