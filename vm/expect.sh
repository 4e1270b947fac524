#!/bin/busybox sh
# expect KIND REGEX CMD...: a plan's program (vm/guest.sh run_plan) judged
# by what it must do. KIND "-": its own exit (0 pass, 4 skip); "=": must run
# (a skip fails); "!": must fail with exit 1 (a negative twin), its output
# matching REGEX unless REGEX is "-", so an unrelated failure cannot pass
# as the expected one.
kind=$1 re=$2
shift 2
"$@" >/tmp/expect.out 2>&1
rc=$?
cat /tmp/expect.out
case $kind in
=)
	[ $rc -ne 4 ] || echo "skipped, but this test must run"
	[ $rc -eq 0 ] ;;
!)
	m=1
	[ "$re" = - ] || grep -Eq "$re" /tmp/expect.out || m=0
	echo "exit $rc, expected 1; output matches '$re': $m"
	[ $rc -eq 1 ] && [ $m -eq 1 ] ;;
*) exit $rc ;;
esac
