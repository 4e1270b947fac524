#!/usr/bin/env bash
# The dirty_log_test contract as scripts rely on it: exit codes (0 pass,
# 1 fail, 2 usage, 4 skip), KTAP result lines, one-line usage errors and the
# JSON keys. Prints "ok"/"not ok" per check; exits 1 on any failure.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

check() {  # check NAME EXPECTED_EXIT(S, a regex) GREP_PATTERN -- ARGS...
  local name=$1 want=$2 pattern=$3
  shift 4
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

check "dirty-log passes" 0 '^ok 1 dirty-log$' -- -M dirty-log -i 6 -I 20 -b 256M
check "clear-log passes" 0 '^ok 1 clear-log$' -- -M clear-log -i 6 -I 20 -b 256M
check "dirty-log passes at CPL0" 0 '^ok 1 dirty-log$' -- -M dirty-log -i 6 -I 20 -b 256M -u 0
check "clear-log passes at CPL0" 0 '^ok 1 clear-log$' -- -M clear-log -i 6 -I 20 -b 256M -u 0
check "drop-dirty fails naming the page" 1 'missed: gfn 0x' -- -M dirty-log -i 6 -I 20 -b 256M --inject drop-dirty
check "clear-log drop-dirty fails" 1 '^not ok 1 clear-log$' -- -M clear-log -i 6 -b 256M --inject drop-dirty
check "dirty-ring passes" 0 '^ok 1 dirty-ring$' -- -M dirty-ring -i 6 -b 256M
check "dirty-ring with a 1024-entry ring passes" 0 '^ok 1 dirty-ring$' -- -M dirty-ring -c 1024 -i 6 -b 256M
check "dirty-ring-wait passes" 0 '^ok 1 dirty-ring-wait$' -- -M dirty-ring-wait -i 6 -b 256M
check "ring-with-bitmap names its capability" '(0|4)' 'ring-with-bitmap' -- -M ring-with-bitmap -i 2 -b 64M
check "-M all runs five modes" 0 '^ok 5 ring-with-bitmap' -- -M all -i 2 -b 64M
for inj in drop-dirty skip-clear skip-reset wrong-slot; do
  check "-M all --inject $inj fails" 1 '^not ok' -- -M all -i 6 -b 256M --inject "$inj"
done
check "ring too small for KVM" 2 'outside KVM.s limits 256\.\.' -- -M dirty-ring -c 128
check "unknown mode is a usage error" 2 "unknown mode 'nonsense'" -- -M nonsense
check "ring size not a power of two" 2 'not a power of two' -- -c 1000
check "more memory than the host has" 2 'exceeds the .* this host can back' -- -b 100T
check "bad size suffix" 2 'unknown size suffix' -- -b 12Q
check "hugetlb without huge pages skips" 4 'SKIP hugetlb backing needs' -- -M dirty-log -s anonymous_hugetlb -b 64M -i 2
check "help" 0 'usage:' -- -h

# Usage errors are one line on stderr, nothing on stdout.
"$bin" -M nonsense >"$tmp/out" 2>"$tmp/err"
if [[ $(wc -l <"$tmp/err") -eq 1 && ! -s "$tmp/out" ]]; then echo "ok - usage error is one line"
else echo "not ok - usage error is one line"; failures=$((failures + 1)); fi

# JSON keys are a contract.
"$bin" -M all -i 2 -b 64M --json "$tmp/r.json" >/dev/null
if python3 - "$tmp/r.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
keys = {"mode", "result", "iterations", "guest_writes", "pages_reported_dirty",
        "ring_entries_harvested", "ring_full_exits", "vcpu_blocked_count", "vcpu_blocked_ns"}
modes = doc["modes"]
assert modes, "no modes"
for m in modes:
    missing = keys - m.keys()
    assert not missing, f"{m['mode']} lacks {missing}"
    assert m["result"] in ("pass", "skip"), m
    if m["result"] == "pass":
        assert m["guest_writes"] > 0 and m["pages_reported_dirty"] > 0, m
PY
then echo "ok - json keys"; else echo "not ok - json keys"; failures=$((failures + 1)); fi

# Ring counters: soft-full exits with a small ring, blocking in ring-wait.
"$bin" -M dirty-ring -c 256 -i 4 -b 256M --json "$tmp/ring.json" >/dev/null
"$bin" -M dirty-ring-wait -i 4 -b 256M --json "$tmp/wait.json" >/dev/null
if python3 - "$tmp/ring.json" "$tmp/wait.json" <<'PY'
import json, sys
ring = json.load(open(sys.argv[1]))["modes"][0]
wait = json.load(open(sys.argv[2]))["modes"][0]
assert ring["result"] == "pass" and ring["ring_full_exits"] > 0, ring
assert ring["ring_entries_harvested"] >= ring["pages_reported_dirty"] > 0, ring
assert wait["result"] == "pass" and wait["vcpu_blocked_count"] > 0 and wait["vcpu_blocked_ns"] > 0, wait
PY
then echo "ok - ring counters"; else echo "not ok - ring counters"; failures=$((failures + 1)); fi

# --stats: BPF's ring pushes equal the entries userspace harvested (exit 4,
# a skip, when BPF cannot be used here).
"$bin" -M dirty-ring -i 8 --stats --json "$tmp/s.json" >"$tmp/out" 2>&1
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

exit $((failures > 0))
