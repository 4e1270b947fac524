#!/usr/bin/env bash
# The dirty_log_test contract as scripts rely on it: exit codes (0 pass,
# 1 fail, 2 usage, 4 skip), KTAP result lines, one-line usage errors and the
# JSON keys. Prints "ok"/"not ok" per check; exits 1 on any failure.
# On a host without a usable /dev/kvm the checks that need KVM print
# "# SKIP" and the script exits 4 (a skip for ctest) unless one failed; the
# nested-VM suite runs dirty_log_test itself in a guest that has KVM.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
skipped=0
no_kvm=""
"$bin" -M dirty-log -i 1 -b 4M >"$tmp/probe" 2>&1
if [[ $? -eq 4 ]] && grep -q '/dev/kvm' "$tmp/probe"; then
  no_kvm=$(grep -m1 -o 'SKIP.*' "$tmp/probe")
fi
# needs_kvm NAME: true if the check may run; else prints its skip line.
needs_kvm() {
  [[ -z $no_kvm ]] && return 0
  echo "ok - $1 # $no_kvm"
  skipped=$((skipped + 1))
  return 1
}

check() {  # check NAME EXPECTED_EXIT(S, a regex) GREP_PATTERN -- ARGS...
  local name=$1 want=$2 pattern=$3
  shift 4
  if [[ $want != 2 && $name != help ]]; then needs_kvm "$name" || return 0; fi
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if ! [[ $got =~ ^($want)$ ]] || ! grep -qE -- "$pattern" "$tmp/out" "$tmp/err"; then
    echo "not ok - $name: exit $got (want $want), pattern '$pattern'"
    sed 's/^/    /' "$tmp/out" "$tmp/err" | tail -15
    failures=$((failures + 1))
  else
    echo "ok - $name"
  fi
}

check "dirty-log passes" 0 '^ok 1 dirty-log$' -- -M dirty-log -i 6 -I 20 -b 64M
check "clear-log passes" 0 '^ok 1 clear-log$' -- -M clear-log -i 6 -I 20 -b 64M
check "dirty-log passes at CPL0" 0 '^ok 1 dirty-log$' -- -M dirty-log -i 6 -I 20 -b 64M -u 0
check "clear-log passes at CPL0" 0 '^ok 1 clear-log$' -- -M clear-log -i 6 -I 20 -b 64M -u 0
check "drop-dirty fails naming the page" 1 'missed at collection [0-9]+ \(iteration [0-9]+, vCPUs (paused|running)\): gfn 0x' -- -M dirty-log -i 6 -I 20 -b 64M --inject drop-dirty
check "clear-log drop-dirty fails" 1 '^not ok 1 clear-log$' -- -M clear-log -i 6 -b 64M --inject drop-dirty
check "dirty-ring passes" 0 '^ok 1 dirty-ring$' -- -M dirty-ring -i 6 -b 64M
check "dirty-ring with a 1024-entry ring passes" 0 '^ok 1 dirty-ring$' -- -M dirty-ring -c 1024 -i 6 -b 64M
check "dirty-ring-wait passes" 0 '^ok 1 dirty-ring-wait$' -- -M dirty-ring-wait -i 6 -b 64M
check "ring-with-bitmap names its capability" '(0|4)' 'ring-with-bitmap' -- -M ring-with-bitmap -i 2 -b 64M
check "-M all runs five modes" 0 '^ok 5 ring-with-bitmap' -- -M all -i 2 -b 64M
for inj in drop-dirty skip-clear skip-reset wrong-slot hide-ring; do
  check "-M all --inject $inj fails" 1 '^not ok' -- -M all -i 6 -b 64M --inject "$inj"
done
check "soft-full exits every iteration" 0 '^ok 1 dirty-ring$' -- -M dirty-ring -c 256 --soft-full -i 4 -b 64M
check "odd-sized memslots pass" 0 '^ok 4 dirty-ring-wait$' -- -M all -v 2 -x 3 -b 65548K -i 3
needs_kvm "ring too small for KVM" && check "ring too small for KVM" 2 'outside KVM.s limits 256\.\.' -- -M dirty-ring -c 128
check "unknown mode is a usage error" 2 "unknown mode 'nonsense'" -- -M nonsense
check "ring size not a power of two" 2 'not a power of two' -- -c 1000
needs_kvm "more memory than the host has" &&
  check "more memory than the host has" 2 'exceeds the .* this host can back' -- -b 100T
check "bad size suffix" 2 'unknown size suffix' -- -b 12Q
check "hugetlb without huge pages skips" 4 'SKIP hugetlb backing needs' -- -M dirty-log -s anonymous_hugetlb -b 64M -i 2
check "help" 0 'usage:' -- -h

# Usage errors are one line on stderr, nothing on stdout.
"$bin" -M nonsense >"$tmp/out" 2>"$tmp/err"
if [[ $(wc -l <"$tmp/err") -eq 1 && ! -s "$tmp/out" ]]; then echo "ok - usage error is one line"
else echo "not ok - usage error is one line"; failures=$((failures + 1)); fi

# JSON keys are a contract.
needs_kvm "json keys" && {
"$bin" -M all -i 2 -b 64M --json "$tmp/r.json" >/dev/null
if python3 - "$tmp/r.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
keys = {"mode", "result", "iterations", "guest_writes", "pages_reported_dirty",
        "ring_entries_harvested", "ring_full_exits", "vcpu_blocked_count", "vcpu_blocked_ns",
        "seed", "pages_written", "pages_rewritten", "verified_collections"}
modes = doc["modes"]
assert modes, "no modes"
for m in modes:
    missing = keys - m.keys()
    assert not missing, f"{m['mode']} lacks {missing}"
    assert m["result"] in ("pass", "skip"), m
    if m["result"] == "pass":
        assert m["guest_writes"] > 0 and m["pages_reported_dirty"] > 0, m
        assert m["pages_written"] == 64 * 256, m  # the sweep wrote every page
seeds = [m["seed"] for m in modes]
assert len(set(seeds)) == len(seeds), f"modes share a seed: {seeds}"
PY
then echo "ok - json keys"; else echo "not ok - json keys"; failures=$((failures + 1)); fi
}

# Ring counters: soft-full exits with a small ring, blocking in ring-wait.
needs_kvm "ring counters" && {
"$bin" -M dirty-ring -c 256 --soft-full -i 4 -b 64M --json "$tmp/ring.json" >/dev/null
"$bin" -M dirty-ring-wait -i 4 -b 64M --json "$tmp/wait.json" >/dev/null
if python3 - "$tmp/ring.json" "$tmp/wait.json" <<'PY'
import json, sys
ring = json.load(open(sys.argv[1]))["modes"][0]
wait = json.load(open(sys.argv[2]))["modes"][0]
assert ring["result"] == "pass" and ring["ring_full_exits"] > 0, ring
assert ring["ring_entries_harvested"] >= ring["pages_reported_dirty"] > 0, ring
assert wait["result"] == "pass" and wait["vcpu_blocked_count"] > 0 and wait["vcpu_blocked_ns"] > 0, wait
PY
then echo "ok - ring counters"; else echo "not ok - ring counters"; failures=$((failures + 1)); fi
}

# --stats: BPF's ring pushes equal the entries userspace harvested (exit 4,
# a skip, when BPF cannot be used here).
needs_kvm "stats agreement" && {
"$bin" -M dirty-ring -i 8 -b 64M --stats --json "$tmp/s.json" >"$tmp/out" 2>&1
got=$?
if [[ $got -eq 4 ]]; then
  echo "ok - stats agreement # SKIP $(grep -m1 SKIP "$tmp/out")"
elif [[ $got -eq 0 ]] && python3 - "$tmp/s.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["modes"][0]
assert m["stats"]["bpf.ring_pushes"] == m["ring_entries_harvested"] > 0, m
assert all(c["agrees"] for c in m["stats_agreement"]) and len(m["stats_agreement"]) == 6, m
PY
then echo "ok - stats agreement"
else echo "not ok - stats agreement: exit $got"; tail -5 "$tmp/out"; failures=$((failures + 1)); fi
}

# Permission denied on /dev/kvm is a skip that says so.
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null && [[ -e /dev/kvm ]] &&
   ! setpriv --reuid=65534 --regid=65534 --clear-groups test -r /dev/kvm 2>/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$bin" 2>/dev/null; then
  setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" -M dirty-log >"$tmp/out" 2>&1
  got=$?
  if [[ $got -eq 4 ]] && grep -q 'permission denied' "$tmp/out"; then echo "ok - permission denied skips"
  else echo "not ok - permission denied skips: exit $got"; cat "$tmp/out"; failures=$((failures + 1)); fi
else
  echo "ok - permission denied skips # SKIP needs root, setpriv and a binary the nobody user can run"
fi

((failures > 0)) && exit 1
if ((skipped > 0)); then
  echo "# $skipped checks skipped: $no_kvm"
  exit 4
fi
exit 0
