#!/usr/bin/env python3
"""Relays KTAP documents and closes with "N passed, N failed, N skipped".

Usage: ktap_summary.py [--programs LIST --counts OUT] FILE...   (each FILE
one KTAP document, possibly with nested, indented subtests). Every result
line is printed; what counts: docs/kernels-and-vm-harness.md, "Counting".
Exit 0 only if nothing failed or went missing. --programs LIST (lines
"LABEL<TAB>NAME", NAME as the top-level result names a program) judges
each listed program by its own result apart from the rest (the module
suite); --counts OUT writes both as the shell assignments behind vm/run.sh's
verdict line.
"""
from collections import Counter
import re
import sys

RESULT = re.compile(r'^(\s*)(not ok|ok)\s+(\d+)\b\s*-?\s*(.*)$')
PLAN = re.compile(r'^(\s*)1\.\.(\d+)')


def norm(name):
    return ' '.join(name.split())


def summarize(path, totals, programs=None):
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
    # Leaf counts since the last top-level result: a program's own, if that
    # result turns out to be a listed program's.
    block = Counter()
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
            if not ok:
                totals['not_ok'].append(line.strip())
            if not parent:
                kind = 'failed' if not ok else 'skipped' if skip else 'passed'
                totals[kind] += 1
                block[kind] += 1
                leaf_failed_since_top = leaf_failed_since_top or not ok
            elif not ok and not leaf_failed_since_top:
                totals['failed'] += 1
                block['failed'] += 1
            if indent == 0:
                top += 1
                leaf_failed_since_top = False
                name = norm(re.sub(r'\s*#\s*SKIP.*$', '', m.group(4), flags=re.I))
                if programs is not None and name in programs['labels'] and name not in programs['seen']:
                    programs['seen'][name] = 'failed' if not ok else 'skipped' if skip else 'passed'
                    programs['leaves'].update(block)
                block = Counter()
        # Diagnostics do not move the nesting: a parent's result may follow
        # a top-level "# ..." line about it (a timeout, its time).
        if not line.lstrip().startswith('#'):
            prev_indent = indent
    if plan is None:
        missing, why = 1, 'no KTAP plan (guest never reported)'
    elif top < plan:
        missing, why = plan - top, f'{plan - top} of {plan} results missing'
    else:
        return
    print(f'# {path}: {why}')
    totals['not_ok'].append(f'{path}: {why}')
    totals['missing'] += missing


def read_programs(path):
    with open(path) as f:
        lines = [line.rstrip('\n').partition('\t') for line in f if line.strip()]
    return {'labels': {norm(name): label for label, _, name in lines}, 'seen': {},
            'leaves': Counter()}


def write_counts(path, totals, programs):
    by_label = {label: programs['seen'].get(name, 'missing') for name, label in programs['labels'].items()}
    failed = totals['failed'] + totals['missing']
    prog_failed = sum(1 for v in by_label.values() if v in ('failed', 'missing'))
    leaves = programs['leaves']
    # A program's failures are its leaves' (plus its exit, counted in the
    # same block); a missing program is one of the plan's missing results.
    missing_progs = sum(1 for v in by_label.values() if v == 'missing')
    suite_failed = max(0, failed - leaves['failed'] - missing_progs)
    with open(path, 'w') as f:
        f.write(f"programs_total={len(by_label)}\n")
        f.write(f"programs_passed={sum(1 for v in by_label.values() if v == 'passed')}\n")
        for kind in ('failed', 'skipped', 'missing'):
            names = ','.join(l for l, v in by_label.items() if v == kind)
            f.write(f"programs_{kind}='{names}'\n")
        f.write(f"suite_passed={max(0, totals['passed'] - leaves['passed'])}\n")
        f.write(f"suite_failed={suite_failed}\n")
        f.write(f"suite_skipped={max(0, totals['skipped'] - leaves['skipped'])}\n")
        f.write(f"all_failed={failed}\n")
        f.write(f"prog_failed={prog_failed}\n")


def main():
    args = sys.argv[1:]
    programs = counts = None
    while args and args[0] in ('--programs', '--counts'):
        if len(args) < 2:
            print(f'ktap_summary.py: {args[0]} needs a file', file=sys.stderr)
            return 2
        if args[0] == '--programs':
            programs = read_programs(args[1])
        else:
            counts = args[1]
        args = args[2:]
    totals = {'passed': 0, 'failed': 0, 'skipped': 0, 'missing': 0, 'not_ok': []}
    for path in args:
        summarize(path, totals, programs)
    failed = totals['failed'] + totals['missing']
    # Repeated next to the count, so a log cut to its tail still names them.
    for line in totals['not_ok']:
        print(f'# failed: {line}')
    print(f"{totals['passed']} passed, {failed} failed, {totals['skipped']} skipped")
    if counts:
        write_counts(counts, totals, programs or read_programs('/dev/null'))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
