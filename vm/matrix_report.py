#!/usr/bin/env python3
"""The kernel x arch x mode matrix of `make vm-matrix` (vm/matrix.sh).

Usage: matrix_report.py JSON_OUT KERNEL:ARCH:SECONDS:RUN_DIR...
Folds the mode tables ("# mode result iters ... time") of each run's
guest.ktap into one cell per kernel and mode: fail if any run failed it,
pass if every run that ran it passed, skip if none ran it (the reason
kept), seconds summed. Prints the matrix and writes it as JSON.
Exit 0 when no cell failed and every run gave a verdict, else 1; 2 on bad
usage.
"""
import collections
import json
import os
import re
import sys

from ktap_summary import parse

MODES = ("dirty-log", "clear-log", "dirty-ring", "dirty-ring-wait", "ring-with-bitmap")
# A program's lines sit one "#" deeper in the arm64 runner's KTAP than in
# vm/run.sh's: any depth matches.
ROW = re.compile(r"^\s*(?:#\s+)+(" + "|".join(re.escape(m) for m in MODES) + r")\s+(pass|fail|skip)\s.*\s([0-9.]+)s\s*$")
SKIPPED = re.compile(r"^\s*(?:#\s+)*ok \d+ (\S+) # SKIP (.*)$")
RUNNING = re.compile(r"^\s*#\s*running: ")


def cells(lines):
    """mode -> {"result", "seconds", "runs", "reason"} over every run in the KTAP."""
    out = collections.defaultdict(lambda: {"result": "skip", "seconds": 0.0, "runs": 0, "reason": ""})
    twin = False  # inside a must-fail run (`expect !`): its failure is the pass
    for line in lines:
        if RUNNING.match(line.text):
            twin = "expect ! " in line.text
        elif twin:
            continue
        elif m := ROW.match(line.text):
            mode, result, secs = m.group(1), m.group(2), float(m.group(3))
            c = out[mode]
            c["seconds"] = round(c["seconds"] + secs, 1)
            if result == "fail":
                c["result"] = "fail"
            elif result == "pass":
                c["runs"] += 1
                if c["result"] == "skip":
                    c["result"] = "pass"
        elif (m := SKIPPED.match(line.text)) and m.group(1) in MODES:
            c = out[m.group(1)]
            c["reason"] = c["reason"] or m.group(2).strip()
    return out


def main(argv):
    if len(argv) < 3:
        print("usage: matrix_report.py JSON_OUT KERNEL:ARCH:SECONDS:RUN_DIR...", file=sys.stderr)
        return 2
    rows, ok = [], True
    for spec in argv[2:]:
        parts = spec.split(":", 3)
        if len(parts) != 4:
            print(f"matrix_report.py: '{spec}' is not KERNEL:ARCH:SECONDS:RUN_DIR", file=sys.stderr)
            return 2
        kernel, arch, secs, run = parts
        ktap = os.path.join(run, "guest.ktap")
        lines = parse(ktap)[0] if os.path.isfile(ktap) else []
        log = os.path.join(run, "verdict.txt")
        verdict = open(log).read().strip() if os.path.isfile(log) else ""
        row = {"kernel": kernel, "arch": arch, "seconds": int(secs), "verdict": verdict,
               "modes": cells(lines)}
        if not verdict.startswith("vm-test verdict: PASS") or any(
                c["result"] == "fail" for c in row["modes"].values()):
            ok = False
        rows.append(row)
    width = max(len(r["kernel"]) for r in rows) + 2
    print(f"{'kernel':<{width}}{'arch':<9}" + "".join(f"{m:>18}" for m in MODES) + f"{'run':>8}")
    for r in rows:
        line = f"{r['kernel']:<{width}}{r['arch']:<9}"
        for m in MODES:
            c = r["modes"].get(m)
            line += f"{(c['result'] + ' ' + format(c['seconds'], '.0f') + 's') if c else 'no run':>18}"
        print(line + f"{r['seconds']:>7}s")
    for r in rows:
        print(f"{r['kernel']} ({r['arch']}): {r['verdict'] or 'no verdict line'}")
        for m, c in r["modes"].items():
            if c["result"] == "skip" and c["reason"]:
                print(f"  {m} skipped: {c['reason']}")
    with open(argv[1], "w") as f:
        json.dump({"tool": "dirtyscope vm-matrix", "rows": rows}, f, indent=1)
        f.write("\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
