#!/usr/bin/env python3
"""vm/'s one KTAP parser (parse: the other reporters read KTAP through it),
and the summary behind vm/run.sh's verdict line: relays KTAP documents and
closes with "N passed, N failed, N skipped".

Usage: ktap_summary.py [--programs LIST --counts OUT] FILE...   (each FILE
one KTAP document, possibly with nested, indented subtests). Every result
line is printed; what counts: docs/kernels-and-vm-harness.md, "Counting".
Exit 0 only if nothing failed or went missing. --programs LIST (lines
"LABEL<TAB>NAME", NAME as the top-level result names a program) judges
each listed program by its own result apart from the rest (the module
suite); --counts OUT writes both as the shell assignments behind vm/run.sh's
verdict line.
"""
from collections import Counter, namedtuple
import re
import sys

RESULT = re.compile(r'(not ok|ok)\s+\d+\b\s*-?\s*(.*)$')
SKIP = re.compile(r'\s*#\s*SKIP', re.I)
# A non-blank line: text, indent (leading spaces) and, for a result, ok,
# skip ("# SKIP") and name (no directive, white space folded: the lookup key).
Line = namedtuple('Line', 'text indent result ok skip name')


def norm(name):
    return ' '.join(name.split())


def parse(path):
    """The Lines of a KTAP file and its top-level plan (None without one).
    OSError if it cannot be read."""
    with open(path, errors='replace') as f:
        texts = [t.rstrip('\r\n') for t in f if t.strip()]
    lines, plan = [], None
    for text in texts:
        indent = len(text) - len(text.lstrip(' '))
        m = RESULT.match(text.lstrip())
        if m:
            skip = SKIP.search(m.group(2))
            name = norm(m.group(2)[:skip.start()] if skip else m.group(2))
            lines.append(Line(text, indent, True, m.group(1) == 'ok', skip is not None, name))
            continue
        p = re.match(r'1\.\.(\d+)', text)
        if p and plan is None:
            plan = int(p.group(1))
        lines.append(Line(text, indent, False, None, False, ''))
    return lines, plan


def summarize(path, totals, programs=None):
    try:
        lines, plan = parse(path)
    except OSError as e:
        print(f'# {path}: {e}')
        totals['missing'] += 1
        return
    top = prev_indent = 0
    leaf_failed_since_top = False
    # Leaf counts since the last top-level result: a program's own, if that
    # result turns out to be a listed program's.
    block = Counter()
    for line in lines:
        body = line.text.lstrip()
        if line.result or body.startswith(('ok ', 'not ok ', '#', 'KTAP', '1..')):
            print(line.text)
        if line.result:
            kind = 'failed' if not line.ok else 'skipped' if line.skip else 'passed'
            if not line.ok:
                totals['not_ok'].append(line.text.strip())
            if prev_indent <= line.indent:
                totals[kind] += 1
                block[kind] += 1
                leaf_failed_since_top = leaf_failed_since_top or not line.ok
            elif not line.ok and not leaf_failed_since_top:
                # A failed parent whose children all passed: one failure.
                totals['failed'] += 1
                block['failed'] += 1
            if line.indent == 0:
                top += 1
                leaf_failed_since_top = False
                if programs is not None and line.name in programs['labels'] and line.name not in programs['seen']:
                    programs['seen'][line.name] = kind
                    programs['leaves'].update(block)
                block = Counter()
        # Diagnostics do not move the nesting: a parent's result may follow
        # a top-level "# ..." line about it (a timeout, its time).
        if not body.startswith('#'):
            prev_indent = line.indent
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
    labels = {kind: [l for l, v in by_label.items() if v == kind] for kind in ('passed', 'failed', 'skipped', 'missing')}
    failed = totals['failed'] + totals['missing']
    leaves = programs['leaves']
    counts = {'programs_total': len(by_label), 'programs_passed': len(labels['passed'])}
    counts.update({f'programs_{kind}': "'" + ','.join(labels[kind]) + "'" for kind in ('failed', 'skipped', 'missing')})
    # A program's failures are its leaves' (plus its exit, counted in the
    # same block); a missing program is one of the plan's missing results.
    counts.update(suite_passed=max(0, totals['passed'] - leaves['passed']),
                  suite_failed=max(0, failed - leaves['failed'] - len(labels['missing'])),
                  suite_skipped=max(0, totals['skipped'] - leaves['skipped']),
                  all_failed=failed, prog_failed=len(labels['failed']) + len(labels['missing']))
    with open(path, 'w') as f:
        f.writelines(f'{key}={value}\n' for key, value in counts.items())


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
