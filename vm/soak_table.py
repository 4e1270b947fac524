#!/usr/bin/env python3
"""Reads the guest KTAP of `make soak` (vm/soak.sh) and prints, per mode and
guest CPL, how many seeded runs passed, failed or skipped, then the failures
with their first diagnostic. Exit 1 if any mode failed."""
import collections
import re
import sys

from ktap_summary import parse

RUN = re.compile(r'^# running: \S*dirty_log_test .*-u (\d) .*--seed (\d+)')
FAIL = re.compile(r'^    # (\S+): FAIL: (.*)$')


def main(path):
    counts = collections.defaultdict(collections.Counter)
    failures = []
    cpl = seed = None
    reasons = {}
    for line in parse(path)[0]:
        if m := RUN.match(line.text):
            cpl, seed = m.groups()
            reasons = {}
        elif m := FAIL.match(line.text):
            reasons.setdefault(*m.groups())
        elif line.result and line.indent == 4 and cpl is not None and line.name != 'verdicts':
            kind = 'skip' if line.skip else 'pass' if line.ok else 'fail'
            counts[(line.name, cpl)][kind] += 1
            if kind == 'fail':
                failures.append(f'{line.name} CPL{cpl} seed {seed}: {reasons.get(line.name, "no reason printed")[:200]}')
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
