#!/bin/sh
# Guest side of vm/debug-twin.sh: loads dirtyscope_planted.ko once per bug;
# the debug kernel's detectors must report each (judged on the host from the
# console log). Usage: plant-all.sh MODULE.ko
ko=$1
for bug in lock_order use_after_free leak sleep_in_atomic; do
	insmod "$ko" bug=$bug || exit 1
	rmmod dirtyscope_planted || exit 1
done
# kmemleak reports only objects older than its minimum age (5 s,
# MSECS_MIN_AGE): the leak must have that age when init.sh scans.
sleep 6
