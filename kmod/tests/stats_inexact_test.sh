#!/bin/sh
# stats_inexact_test.sh DIRTY_LOG_TEST: dirty_log_test --stats with the
# module as source is exact while the module tracks the run's VM, and with
# the VM table full (max_vms 0: every event of the VM dropped, counted only
# module-wide, since the VM has no entry) the mismatch is not excused: those
# drops cannot be charged to this VM, so the mode fails and says why. Only
# a VM's own counted drops excuse a mismatch (the unit tests cover the
# bound). KTAP; exit 0, 1, or 4 (skip).
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
	! echo "$out" | grep -q excused && [ $rc -eq 0 ]
result $? "1 module tracks the VM: exact, nothing to excuse (rc $rc)"

old=$(cat "$param")
echo 0 >"$param"
# shellcheck disable=SC2086
out=$("$bin" $args 2>&1)
rc=$?
echo "$old" >"$param"
echo "$out" | grep 'stats:' | sed 's/^ *#* */# /'
echo "$out" | grep -Eq 'stats: kmod\.ring_pushes 0 != [1-9][0-9]* ring entries harvested \(not excused: [1-9][0-9]* events dropped module-wide, but none is charged to this VM' &&
	[ $rc -eq 1 ]
result $? "2 max_vms 0: module-wide drops do not excuse the mismatch, the mode fails (rc $rc)"
exit $failed
