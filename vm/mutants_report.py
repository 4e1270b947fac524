#!/usr/bin/env python3
"""Judges the VM runs of `make mutants` and writes the kill table.

Usage: mutants_report.py OUT NAME...   (NAME: control first, then mutants)

Reads OUT/configs.txt ("label|args" per line) and, per NAME, OUT/NAME/vm/
guest.ktap, run.rc, seconds and modules/patches.txt; judges each test
killed, survived or crashed by the rules in docs/kernels-and-vm-harness.md
("Kernel mutants"); the "kmod" column is every top-level result that is not
a configured program. Writes OUT/results.ktap and OUT/results.json, prints
the table. Exit 0 if the control passed every test and dirty_log_test
killed every mutant, else 1.
"""
import json
import os
import re
import sys

from ktap_summary import norm, parse

# Diagnostics worth quoting as evidence of what a failing run found.
EVIDENCE = re.compile(r'missed|stale|future|reset|ring|full|page|gfn|expected|'
                      r'differ|wedged|mismatch|entries|count', re.I)


def top_results(path):
    """The guest KTAP's top-level results (Lines), each with the lines
    before it (its program's output), and its plan; none for no file."""
    try:
        lines, plan = parse(path)
    except OSError:
        return [], None
    results, block = [], []
    for line in lines:
        if line.result and line.indent == 0:
            results.append((line, block))
            block = []
        else:
            block.append(line.text)
    return results, plan


def evidence_of(block):
    """The failing lines of a block and the diagnostics that name what failed."""
    fails = [l.strip() for l in block if re.match(r'^\s+not ok\b', l)]
    diags = [l.strip() for l in block
             if re.match(r'^\s+#', l) and EVIDENCE.search(l)
             and 'SKIP' not in l]
    # The verdict lines first ("FAIL: ... missed 4 ..."), then the rest.
    strong = re.compile(r'FAIL|missed|stale|future|differ|wedged|mismatch|'
                        r'completely full|not reported', re.I)
    picked = [d for d in diags if strong.search(d)][:2] or diags[:2]
    return fails, picked


def judge_prog(res, peer=False, migrate=False):
    if res is None:
        return 'crashed', 'no result (VM died or timed out)'
    line, block = res
    if line.ok:
        return ('skipped' if line.skip else 'survived'), ''
    fails, diags = evidence_of(block)
    timed_out = any('timed out after' in l for l in block)
    body = [l.strip() for l in block]
    if migrate:
        # dirtyscope migrate is not KTAP: "fail MODE: why" per failed mode.
        failed = [l for l in body if l.startswith('fail ')]
        if failed:
            return 'killed', ' | '.join(failed[:2])[:300]
    if peer:
        # The kernel's test is not KTAP: a failed TEST_ASSERT prints
        # "==== Test Assertion Failure ====", the location, then the message.
        if '==== Test Assertion Failure ====' in body:
            at = body.index('==== Test Assertion Failure ====')
            msg = [l for l in body[at + 1:at + 6]
                   if l and not l.startswith(('pid=', '0x', '#'))]
            return 'killed', ' | '.join(msg[:3])[:300]
    if not fails:
        return 'crashed', ('program timed out' if timed_out
                           else 'exited non-zero without a failing result')
    # A failing result is a kill even if the program hung afterwards.
    ev = ' | '.join((diags or fails)[:2])[:300]
    return 'killed', ev + (' (then timed out)' if timed_out else '')


def judge_run(out, name, configs):
    d = os.path.join(out, name)
    run = {'name': name, 'tests': {}}
    try:
        with open(os.path.join(d, 'modules', 'patches.txt')) as f:
            run['patches'] = [l.split()[0] for l in f if l.strip()]
    except OSError:
        run['patches'] = []
    for key, fname in (('run_exit', 'run.rc'), ('seconds', 'seconds')):
        try:
            with open(os.path.join(d, fname)) as f:
                run[key] = int(f.read().strip())
        except (OSError, ValueError):
            run[key] = None
    results, plan = top_results(os.path.join(d, 'vm', 'guest.ktap'))
    by_name = {line.name: (line, block) for line, block in results}
    prog_names = set()
    for label, args in configs:
        binname = {'peer': 'kvm_dirty_log_test', 'migrate': 'dirtyscope'}.get(label, 'dirty_log_test')
        key = norm(f'{binname} {args}')
        prog_names.add(key)
        verdict, ev = judge_prog(by_name.get(key), peer=(label == 'peer'), migrate=(label == 'migrate'))
        run['tests'][label] = {'verdict': verdict, 'evidence': ev}
    # The module's tests and the guest's own checks.
    failed = [(line, block) for line, block in results if line.name not in prog_names and not line.ok]
    if failed:
        fails, _ = evidence_of(failed[0][1])
        kmod = 'killed', (failed[0][0].name + (': ' + fails[0] if fails else ''))[:300]
    elif plan is None or len(results) < plan:
        kmod = 'crashed', 'results missing (VM died or timed out)'
    else:
        kmod = 'survived', ''
    run['tests']['kmod'] = {'verdict': kmod[0], 'evidence': kmod[1]}
    dlt = [run['tests'][l]['verdict'] for l, _ in configs if l not in ('peer', 'migrate')]
    run['status'] = next((s for s in ('killed', 'crashed') if s in dlt), 'survived')
    return run


def main():
    out, names = sys.argv[1], sys.argv[2:]
    with open(os.path.join(out, 'configs.txt')) as f:
        configs = [tuple(l.rstrip('\n').split('|', 1)) for l in f if l.strip()]
    labels = ['kmod'] + [l for l, _ in configs]
    runs = [judge_run(out, n, configs) for n in names]
    control, mutants = runs[0], runs[1:]
    control_ok = all(control['tests'][l]['verdict'] == 'survived' for l in labels)
    control['status'] = 'passed' if control_ok else 'failed'

    # Table.
    w0 = max(len(r['name']) for r in runs)
    widths = [max(len(l), 8) for l in labels]
    head = f"{'mutant':<{w0}}  " + '  '.join(f'{l:<{w}}' for l, w in zip(labels, widths)) + '  verdict'
    print(head)
    print('-' * len(head))
    for r in runs:
        # The control's verdicts read as what they are there: pass or FAIL.
        word = {'survived': 'pass', 'killed': 'FAIL'} if r is control else {}
        cells = [f"{word.get(r['tests'][l]['verdict'], r['tests'][l]['verdict']):<{w}}" for l, w in zip(labels, widths)]
        print(f"{r['name']:<{w0}}  " + '  '.join(cells) + f"  {r['status']}")
    print()
    for r in runs:
        for l in labels:
            t = r['tests'][l]
            if t['evidence'] and (t['verdict'] != 'killed' or l != 'kmod'):
                print(f"{r['name']} / {l}: {t['verdict']}: {t['evidence']}")

    # KTAP: one result per mutant, the control first.
    lines = ['KTAP version 1', f'1..{len(runs)}']
    for i, r in enumerate(runs, 1):
        for l in labels:
            t = r['tests'][l]
            lines.append(f"# {r['name']} {l}: {t['verdict']}" + (f" ({t['evidence']})" if t['evidence'] else ''))
        if r is control:
            lines.append(f"{'ok' if control_ok else 'not ok'} {i} control passes every test")
        else:
            lines.append(f"{'ok' if r['status'] == 'killed' else 'not ok'} {i} {r['name']} killed by dirty_log_test")
    with open(os.path.join(out, 'results.ktap'), 'w') as f:
        f.write('\n'.join(lines) + '\n')

    killed = [m for m in mutants if m['status'] == 'killed']
    rc = 0 if control_ok and len(killed) == len(mutants) else 1
    with open(os.path.join(out, 'results.json'), 'w') as f:
        json.dump({'configs': {l: a for l, a in configs}, 'control': control,
                   'mutants': mutants, 'killed': len(killed),
                   'total': len(mutants), 'exit': rc}, f, indent=2)
    if not control_ok:
        bad = [f"{l} {control['tests'][l]['verdict']}" for l in labels
               if control['tests'][l]['verdict'] != 'survived']
        print(f"mutants: the unpatched control did not pass ({', '.join(bad)}): no verdicts; "
              f"see {out}/control/vm/guest.ktap")
    else:
        print(f'mutants: dirty_log_test killed {len(killed)} of {len(mutants)} mutants '
              f'(results: {out}/results.ktap, results.json)')
    return rc


if __name__ == '__main__':
    sys.exit(main())
