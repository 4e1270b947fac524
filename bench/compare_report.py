#!/usr/bin/env python3
"""`make bench-compare`'s report: per-phase medians and ratios, ours over
the kernel's dirty_log_perf_test, from the files of the runs
bench/compare.sh made (DIR, read by bench/vm_results.py): the kernel test's
output, our JSON.

Usage: compare_report.py DIR [--json OUT]

Pairs: "clear-log" (the kernel's default: manual protect, get + clear,
against our -M clear-log) and "dirty-log" (the kernel's -g: GET only,
against our -M dirty-log -g). Phases, all wall time:
  populate, enable, disable   once per run;
  dirty                       every iteration's dirty pass;
  collect                     every iteration: the kernel's get (+ clear)
                              time against our collect_ns;
  collect in ioctls           the same with our collect_kernel_ns (the
                              kernel's times are ioctls and a loop over slots).
For each phase: the median over every run and iteration of each side, the
ratio of those medians, the median of the per-round ratios (round r's ours
against round r's kernel: neighbours in time), and the ratio of the
minimums (best of all runs: on a loaded machine noise only ever adds time,
so for the short phases, enable and disable at a few ms, the minimum is the
steadier estimate).
"""
import json
import os
import re
import statistics
import sys

from vm_results import programs

KTIME = re.compile(r"^(Populate memory|Enabling dirty logging|Disabling dirty logging) time: (\d+)\.(\d+)s$")
KITER = re.compile(r"^Iteration (\d+) (dirty memory|get dirty log|clear dirty log) time: (\d+)\.(\d+)s$")

PAIRS = [("clear-log", "kernel-clear", "ours-clear", "kernel default (get + clear) vs ours -M clear-log"),
         ("dirty-log", "kernel-get", "ours-get", "kernel -g (get) vs ours -M dirty-log -g")]
PHASES = ["populate", "enable", "dirty", "collect", "collect in ioctls", "disable"]


def ns(sec, frac):
    return int(sec) * 1_000_000_000 + int(frac.ljust(9, "0")[:9])


def parse_kernel(lines):
    r = {"iters": {}}
    for line in lines:
        m = KTIME.match(line)
        if m:
            key = {"Populate memory": "populate", "Enabling dirty logging": "enable",
                   "Disabling dirty logging": "disable"}[m.group(1)]
            r[key] = ns(m.group(2), m.group(3))
            continue
        m = KITER.match(line)
        if m:
            it = r["iters"].setdefault(int(m.group(1)), {})
            it[m.group(2)] = ns(m.group(3), m.group(4))
    if not r["iters"] or "disable" not in r:
        return None
    out = {k: [r[k]] for k in ("populate", "enable", "disable")}
    its = [r["iters"][k] for k in sorted(r["iters"])]
    out["dirty"] = [it["dirty memory"] for it in its]
    out["collect"] = [it["get dirty log"] + it.get("clear dirty log", 0) for it in its]
    out["collect in ioctls"] = out["collect"]
    return out


def parse_ours(doc):
    if not doc or doc.get("tool") != "dirty_log_perf":
        return None
    mode = doc["modes"][0]
    if mode.get("result") != "ok":
        return None
    its = mode["iterations"]
    return {"populate": [mode["populate_ns"]], "enable": [mode["enable_ns"]],
            "disable": [mode["disable_ns"]], "dirty": [i["dirty_ns"] for i in its],
            "collect": [i["collect_ns"] for i in its],
            "collect in ioctls": [i["collect_kernel_ns"] for i in its]}


def parse(folder):
    """Runs by (name, round): names kernel-clear, kernel-get, ours-clear,
    ours-get (the kernel's test is dirty_log_perf_test; -g: GET only), the
    Nth run of a name is round N."""
    runs = {}  # (name, round) -> {phase: [ns...]}
    failed = []
    seen = {}
    for prog in programs(folder):
        side = "kernel" if os.path.basename(prog.cmd[0]) == "dirty_log_perf_test" else "ours"
        name = f"{side}-{'get' if '-g' in prog.cmd else 'clear'}"
        seen[name] = seen.get(name, 0) + 1
        cur = (name, seen[name])
        parsed = (parse_kernel([line.strip() for line in prog.output.splitlines()]) if side == "kernel"
                  else parse_ours(prog.json()))
        if prog.rc != 0 or parsed is None:
            failed.append(f"{name} round {cur[1]} (rc={prog.rc})")
        else:
            runs[cur] = parsed
    return runs, failed


def med(xs):
    return statistics.median(xs) if xs else None


def report(runs, failed):
    rounds = sorted({r for _, r in runs})
    result = {"tool": "bench-compare", "rounds": len(rounds), "failed_runs": failed, "pairs": []}
    for pair, kname, oname, what in PAIRS:
        p = {"pair": pair, "what": what, "phases": []}
        for phase in PHASES:
            kall = [v for r in rounds if (kname, r) in runs for v in runs[(kname, r)][phase]]
            oall = [v for r in rounds if (oname, r) in runs for v in runs[(oname, r)][phase]]
            per_round = [med(runs[(oname, r)][phase]) / med(runs[(kname, r)][phase])
                         for r in rounds if (kname, r) in runs and (oname, r) in runs
                         and med(runs[(kname, r)][phase]) > 0]
            km, om = med(kall), med(oall)
            kmin, omin = (min(kall) if kall else None), (min(oall) if oall else None)
            p["phases"].append({
                "phase": phase, "kernel_median_ns": km, "ours_median_ns": om,
                "ratio_of_medians": om / km if km and om is not None else None,
                "kernel_min_ns": kmin, "ours_min_ns": omin,
                "ratio_of_minimums": omin / kmin if kmin and omin is not None else None,
                "median_round_ratio": med(per_round), "round_ratios": per_round,
                "kernel_ns": kall, "ours_ns": oall})
        result["pairs"].append(p)
    return result


def fmt_ms(v):
    return "-" if v is None else f"{v / 1e6:.3f}"


def fmt_x(v):
    return "-" if v is None else f"{v:.2f}"


def print_table(result):
    print(f"ours / kernel dirty_log_perf_test, {result['rounds']} alternating rounds "
          f"(ms; medians and minimums over every run and iteration; ratio = ours / kernel)")
    for p in result["pairs"]:
        print(f"\n{p['pair']}: {p['what']}")
        print(f"  {'phase':<19}{'kernel ms':>11}{'ours ms':>11}{'ratio':>7}{'round ratio':>12}"
              f"{'kernel min':>11}{'ours min':>10}{'min ratio':>10}   per round")
        for ph in p["phases"]:
            rr = " ".join(f"{x:.2f}" for x in ph["round_ratios"])
            print(f"  {ph['phase']:<19}{fmt_ms(ph['kernel_median_ns']):>11}{fmt_ms(ph['ours_median_ns']):>11}"
                  f"{fmt_x(ph['ratio_of_medians']):>7}{fmt_x(ph['median_round_ratio']):>12}"
                  f"{fmt_ms(ph['kernel_min_ns']):>11}{fmt_ms(ph['ours_min_ns']):>10}"
                  f"{fmt_x(ph['ratio_of_minimums']):>10}   {rr}")
    if result["failed_runs"]:
        print("\nfailed or unparsable runs: " + ", ".join(result["failed_runs"]))


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--json"):
        print("usage: compare_report.py DIR [--json OUT]", file=sys.stderr)
        return 2
    runs, failed = parse(argv[1])
    if not runs:
        print(f"compare_report: no complete run in {argv[1]}", file=sys.stderr)
        return 1
    result = report(runs, failed)
    print_table(result)
    if len(argv) == 4:
        with open(argv[3], "w") as f:
            json.dump(result, f, indent=1)
        print(f"\nJSON: {argv[3]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
