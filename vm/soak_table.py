#!/usr/bin/env python3
"""Reads the guest KTAP of `make soak` (vm/soak.sh) and prints, per mode and
guest CPL, how many seeded runs passed, failed or skipped, then the failures
with their first diagnostic. Exit 1 if any mode failed."""
import collections
import re
import sys

RUN = re.compile(r'^# running: \S*dirty_log_test .*-u (\d) .*--seed (\d+)')
RESULT = re.compile(r'^    (not ok|ok) \d+ (\S+)( # SKIP.*)?$')
FAIL = re.compile(r'^    # (\S+): FAIL: (.*)$')


def main(path):
    counts = collections.defaultdict(collections.Counter)
    failures = []
    cpl = seed = None
    reasons = {}
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            m = RUN.match(line)
            if m:
                cpl, seed = m.group(1), m.group(2)
                reasons = {}
                continue
            m = FAIL.match(line)
            if m:
                reasons.setdefault(m.group(1), m.group(2))
                continue
            m = RESULT.match(line)
            if m and cpl is not None and m.group(2) != 'verdicts':
                mode = m.group(2)
                kind = 'skip' if m.group(3) else ('pass' if m.group(1) == 'ok' else 'fail')
                counts[(mode, cpl)][kind] += 1
                if kind == 'fail':
                    failures.append(f'{mode} CPL{cpl} seed {seed}: {reasons.get(mode, "no reason printed")[:200]}')
    if not counts:
        print('soak: no dirty_log_test results in ' + path)
        return 1
    print(f'{"mode":<20} {"CPL":>3} {"pass":>5} {"fail":>5} {"skip":>5}')
    for (mode, c), n in sorted(counts.items()):
        print(f'{mode:<20} {c:>3} {n["pass"]:>5} {n["fail"]:>5} {n["skip"]:>5}')
    for f in failures:
        print('FAIL ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
