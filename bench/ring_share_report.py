#!/usr/bin/env python3
"""The report of `make bench-ring-share` (bench/ring-share.sh).

Usage: ring_share_report.py DIR

DIR holds each run's files (bench/vm_results.py): dirty_log_perf's JSON
(dirty-ring mode, 65536 entries per iteration) and the microbenchmark's
Google Benchmark JSON. Prints, per entry and as medians over
every iteration and round, dirty_log_perf's userspace time and its parts
beside the microbenchmark's cases, and the ratio the target is about:
userspace / microbenchmark harvest (target at most 1.5).
Exit 1 when a side has no data.
"""
import statistics
import sys

from vm_results import programs

ENTRIES = 65536


def main(argv):
    if len(argv) != 2:
        print('usage: ring_share_report.py DIR', file=sys.stderr)
        return 2
    user, harvest, merge, wait, micro = [], [], [], [], {}
    for prog in programs(argv[1]):
        doc = prog.json() or {}
        if doc.get('tool') == 'dirty_log_perf':
            for mode in doc['modes']:
                if mode.get('result') != 'ok':
                    continue
                for it in mode['iterations']:
                    n = it.get('ring_entries') or 0
                    if n:
                        user.append(it['collect_user_ns'] / n)
                        harvest.append(it['ring_harvest_ns'] / n)
                        merge.append(it['ring_merge_ns'] / n)
                        wait.append(it['ring_lock_wait_ns'] / n)
        for b in doc.get('benchmarks', []):
            scale = {'ns': 1, 'us': 1e3, 'ms': 1e6}[b.get('time_unit', 'ns')]
            micro.setdefault(b['name'], []).append(b['real_time'] * scale / ENTRIES)
    ref = micro.get(f'BM_RingHarvest/entries:{ENTRIES}')
    if not user or not ref:
        print('ring-share: no data (' + ('no dirty_log_perf ring iterations' if not user
                                        else 'no BM_RingHarvest result') + ')', file=sys.stderr)
        return 1
    med = statistics.median
    rows = [
        ('dirty_log_perf -M dirty-ring -b 256M: in userspace', user),
        ('  of which harvest (protocol, checks, DirtySet insert)', harvest),
        ('  of which merge into the runner\'s set', merge),
        ('  of which lock wait', wait),
        ('microbenchmark: harvest into a page list (reference)', ref),
    ]
    for name, label in ((f'BM_RingCollect/entries:{ENTRIES}/cold:0', 'real path into a DirtySet, ring in cache'),
                        (f'BM_RingCollect/entries:{ENTRIES}/cold:1', 'real path into a DirtySet, ring evicted')):
        if name in micro:
            rows.append(('microbenchmark: ' + label, micro[name]))
    print(f'ring collection per entry, {ENTRIES} entries per iteration (medians; '
          f'{len(user)} iterations, {len(ref)} microbenchmark runs)')
    for label, values in rows:
        print(f'  {label:<58} {med(values):8.2f} ns  (min {min(values):.2f})')
    ratio = med(user) / med(ref)
    print(f'  userspace / reference harvest: {ratio:.2f}x by medians, '
          f'{min(user) / min(ref):.2f}x by minimums (target: at most 1.5x)')
    print(f'  harvest part / reference harvest: {med(harvest) / med(ref):.2f}x')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
