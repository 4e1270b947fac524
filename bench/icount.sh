#!/usr/bin/env bash
# Instruction counts of the userspace collectors: runs
# `dirtyscope_microbench --icount` under `valgrind --tool=callgrind` (each
# case's measured region between client requests, collection off
# elsewhere) and prints instructions per ring entry / page from each dump's
# total. Callgrind counts instructions, not time, so the numbers repeat
# exactly whatever else the machine does: judge a collector change by them.
# Usage: bench/icount.sh BUILD_DIR   (table on stdout; JSON in
#   BUILD_DIR/bench/icount.json, dumps in BUILD_DIR/bench/icount/)
set -euo pipefail
build=$(realpath "${1:-build}")
bin=$build/bin/dirtyscope_microbench
out=$build/bench/icount
command -v valgrind >/dev/null || { echo "icount: valgrind missing (scripts/install-deps.sh core)" >&2; exit 2; }
[[ -x $bin ]] || { echo "icount: $bin not built" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"
valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$out/callgrind.out" \
  "$bin" --icount >"$out/cases.txt" 2>"$out/valgrind.log" || {
  tail -n 20 "$out/valgrind.log" >&2
  echo "icount: valgrind run failed (log: $out/valgrind.log)" >&2
  exit 1
}
python3 - "$out" "$build/bench/icount.json" <<'EOF'
import glob, json, re, sys
out, json_path = sys.argv[1], sys.argv[2]
rows = []
for f in glob.glob(out + "/callgrind.out*"):
    desc = total = None
    with open(f) as fh:
        for line in fh:
            m = re.match(r"desc: Trigger: Client Request: (case=.*)$", line)
            if m: desc = m.group(1)
            m = re.match(r"(?:totals|summary): (\d+)", line)
            if m: total = int(m.group(1))
    if not desc or total is None: continue
    kv = dict(re.findall(r"(\w+)=(\S+)", desc))
    unit = desc.split("unit=", 1)[1]
    rows.append({"case": kv["case"], "units": int(kv["units"]), "unit": unit,
                 "instructions": total, "per_unit": total / int(kv["units"])})
order = [l.split()[0][5:] for l in open(out + "/cases.txt") if l.startswith("case=")]
rows.sort(key=lambda r: order.index(r["case"]) if r["case"] in order else 99)
print("instructions (callgrind Ir; exact, repeatable):")
print(f"  {'case':<24}{'units':>10}  {'unit':<11}{'instructions':>14}{'per unit':>10}")
for r in rows:
    print(f"  {r['case']:<24}{r['units']:>10}  {r['unit']:<11}{r['instructions']:>14}{r['per_unit']:>10.2f}")
json.dump({"tool": "dirtyscope_microbench --icount", "cases": rows}, open(json_path, "w"), indent=1)
print(f"JSON: {json_path}")
if len(rows) != len(order):
    sys.exit("icount: %d cases ran, %d dumps parsed" % (len(order), len(rows)))
EOF
