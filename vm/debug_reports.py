#!/usr/bin/env python3
"""Counts the debug kernel's reports in a kernel log, per detector.

Usage: debug_reports.py CONSOLE_LOG [--expect DETECTOR...]
Prints one line, "debug kernel: N lockdep, N KASAN, N kmemleak, N UBSAN,
N atomic-sleep reports", then the first line of each report. Exit 0 when
every count is 0 (or, with --expect, when each named detector reported at
least once and no other did: the planted-bug twin), 1 otherwise, 2 on bad
usage.

A report is counted once, by its title line (TITLES), however long its
trace. Only reports after the guest's "dirtyscope-vm: tests begin" line are the
tests' (all of the log when it is missing). A report before it is the
kernel's own, during boot; it is named and fails the run too, since one
report turns lockdep off for the rest of the boot: the run proved less.
"""
import re
import sys

DETECTORS = ("lockdep", "KASAN", "kmemleak", "UBSAN", "atomic-sleep")

TITLES = {
    "lockdep": re.compile(
        r"WARNING: (possible circular locking dependency|possible recursive locking"
        r"|inconsistent lock state|suspicious RCU usage|bad unlock balance"
        r"|held lock freed|lock held when returning to user space"
        r"|possible irq lock inversion dependency|\S+-safe -> \S+-unsafe lock order)"
        r"|BUG: Invalid wait context|BUG: (key|looking up invalid subclass)"
        r"|INFO: possible irq lock inversion"),
    "KASAN": re.compile(r"BUG: KASAN: "),
    "kmemleak": re.compile(r"unreferenced object 0x[0-9a-f]+"),
    "UBSAN": re.compile(r"UBSAN: "),
    "atomic-sleep": re.compile(
        r"BUG: sleeping function called from invalid context|BUG: scheduling while atomic"),
}


def count(text):
    found = {d: [] for d in DETECTORS}
    for line in text.splitlines():
        for d in DETECTORS:
            if TITLES[d].search(line):
                found[d].append(line.strip())
                break
    return found


def main(argv):
    if len(argv) < 2 or argv[1].startswith("-"):
        print("usage: debug_reports.py CONSOLE_LOG [--expect DETECTOR...]", file=sys.stderr)
        return 2
    expect = []
    if len(argv) > 2:
        if argv[2] != "--expect" or len(argv) == 3:
            print("debug_reports.py: after the log only --expect DETECTOR... may follow", file=sys.stderr)
            return 2
        expect = argv[3:]
        unknown = [d for d in expect if d not in DETECTORS]
        if unknown:
            print(f"debug_reports.py: unknown detector {unknown[0]!r} (one of {', '.join(DETECTORS)})",
                  file=sys.stderr)
            return 2
    try:
        with open(argv[1], errors="replace") as f:
            text = f.read()
    except OSError as e:
        print(f"debug_reports.py: {e}", file=sys.stderr)
        return 2
    # Boot and the tests: the log before and after the guest's marker.
    at = text.find("dirtyscope-vm: tests begin")
    boot_text, tests_text = ("", text) if at < 0 else (text[:at], text[at:])
    found, boot = count(tests_text), count(boot_text)
    at_boot = [(d, r) for d in DETECTORS for r in boot[d]]
    line = "debug kernel: " + ", ".join(f"{len(found[d])} {d}" for d in DETECTORS) + " reports"
    if at_boot:
        line += f"; {len(at_boot)} during boot, before the tests (the kernel's own)"
    print(line)
    for d, r in at_boot[:1]:
        print(f"  during boot, {d}: {r}")
    for d in DETECTORS:
        if found[d]:
            print(f"  {d}: {found[d][0]}")
    if expect:
        missed = [d for d in expect if not found[d]]
        extra = [d for d in DETECTORS if d not in expect and found[d]]
        for d in missed:
            print(f"  {d}: expected a report, none seen")
        for d in extra:
            print(f"  {d}: reported, but no bug was planted for it")
        return 1 if missed or extra or at_boot else 0
    return 1 if at_boot or any(found[d] for d in DETECTORS) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
