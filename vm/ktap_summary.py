#!/usr/bin/env python3
"""Relays KTAP documents and closes with "N passed, N failed[, N skipped]".

Usage: ktap_summary.py FILE...   (each FILE one KTAP document, possibly
with nested, indented subtests). Every result line is printed. Leaf results
are counted; a failed parent whose leaves all passed (a program that exited
non-zero) counts as one more failure. A top-level plan whose results are
missing (a crash, a hang, a killed VM) is a failure too. Exit 0 only if
nothing failed or went missing.
"""
import re
import sys

RESULT = re.compile(r'^(\s*)(not ok|ok)\s+(\d+)\b\s*-?\s*(.*)$')
PLAN = re.compile(r'^(\s*)1\.\.(\d+)')


def summarize(path, totals):
    try:
        with open(path, errors='replace') as f:
            lines = [l.rstrip('\r\n') for l in f]
    except OSError as e:
        print(f'# {path}: {e}')
        totals['missing'] += 1
        return
    plan = None
    top = 0
    prev_indent = 0
    leaf_failed_since_top = False
    for line in lines:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(' '))
        m = RESULT.match(line)
        p = PLAN.match(line)
        if p and indent == 0 and plan is None:
            plan = int(p.group(2))
        if line.lstrip().startswith(('ok ', 'not ok ', '#', 'KTAP', '1..')) or m:
            print(line)
        if m:
            ok = m.group(2) == 'ok'
            skip = re.search(r'#\s*SKIP', m.group(4), re.I) is not None
            parent = prev_indent > indent
            if not parent:
                if not ok:
                    totals['failed'] += 1
                    leaf_failed_since_top = True
                elif skip:
                    totals['skipped'] += 1
                else:
                    totals['passed'] += 1
            elif not ok and not leaf_failed_since_top:
                totals['failed'] += 1
            if indent == 0:
                top += 1
                leaf_failed_since_top = False
        prev_indent = indent
    if plan is None:
        print(f'# {path}: no KTAP plan (guest never reported)')
        totals['missing'] += 1
    elif top < plan:
        print(f'# {path}: {plan - top} of {plan} results missing')
        totals['missing'] += plan - top


def main():
    totals = {'passed': 0, 'failed': 0, 'skipped': 0, 'missing': 0}
    for path in sys.argv[1:]:
        summarize(path, totals)
    failed = totals['failed'] + totals['missing']
    print(f"{totals['passed']} passed, {failed} failed, {totals['skipped']} skipped")
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
