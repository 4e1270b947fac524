#!/bin/sh
# Guest side of `make bench-ring-share` (bench/ring-share.sh): in one
# machine, dirty_log_perf's ring mode at 256 MiB (65536 entries per
# iteration) and the microbenchmark's harvest of the same count, so their
# ratio (the userspace share at most 1.5x the harvest) compares like
# with like. Each output between "=== begin NAME" and "=== end NAME rc=N".
# Usage: ring-share-guest.sh DIRTY_LOG_PERF MICROBENCH ROUNDS
perf=$1 micro=$2 rounds=$3
fails=0
r=1
while [ "$r" -le "$rounds" ]; do
	echo "=== begin perf $r"
	rm -f /tmp/share.json
	"$perf" -M dirty-ring -b 256M -i 5 --json /tmp/share.json >/tmp/share.out 2>&1
	rc=$?
	cat /tmp/share.out
	[ -f /tmp/share.json ] && tr -d '\n' </tmp/share.json && echo
	echo "=== end perf $r rc=$rc"
	[ $rc -eq 0 ] || fails=$((fails + 1))
	echo "=== begin micro $r"
	"$micro" --benchmark_filter='BM_RingHarvest/entries:65536|BM_RingCollect/entries:65536' \
		--benchmark_format=json >/tmp/micro.json 2>/tmp/micro.err
	rc=$?
	tr -d '\n' </tmp/micro.json
	echo
	cat /tmp/micro.err
	echo "=== end micro $r rc=$rc"
	[ $rc -eq 0 ] || fails=$((fails + 1))
	r=$((r + 1))
done
echo "=== done fails=$fails"
[ $fails -eq 0 ]
