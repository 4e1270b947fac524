#!/usr/bin/env bash
# Behaviour of the `dirtyscope` command as a user sees it.
# Usage: cli_test.sh PATH_TO_DIRTYSCOPE unit|live
# Exit 0 pass, 1 fail, 4 skip (ctest SKIP_RETURN_CODE).
set -uo pipefail
bin=$1 part=$2
fails=0 checks=0
err=$(mktemp) out=$(mktemp)
trap 'rm -f "$err" "$out"' EXIT

# expect CODE DESCRIPTION -- COMMAND...: runs it, checks the exit code.
expect() {
  local want=$1 what=$2; shift 3
  checks=$((checks + 1))
  "$@" >"$out" 2>"$err"
  local got=$?
  if [[ $got -ne $want ]]; then
    echo "FAIL: $what: exit $got, want $want"; sed 's/^/  stderr: /' "$err" | head -5
    fails=$((fails + 1)); return 1
  fi
  return 0
}
# contains FILE TEXT DESCRIPTION
contains() {
  checks=$((checks + 1))
  grep -q -- "$2" "$1" || { echo "FAIL: $3: no '$2' in output"; fails=$((fails + 1)); }
}
one_line() {
  checks=$((checks + 1))
  local n; n=$(wc -l <"$err")
  [[ $n -eq 1 ]] || { echo "FAIL: $1: error is $n lines, want 1"; cat "$err"; fails=$((fails + 1)); }
}

if [[ $part == unit ]]; then
  expect 0 "dirtyscope --help" -- "$bin" --help && { contains "$out" USAGE "--help"; contains "$out" EXAMPLES "--help"; }
  expect 0 "stats --help" -- "$bin" stats --help && { contains "$out" USAGE "stats --help"; contains "$out" EXAMPLES "stats --help"; contains "$out" -- "--json" "stats --help"; }
  expect 2 "no command" -- "$bin"
  expect 2 "unknown command" -- "$bin" frobnicate && one_line "unknown command"
  expect 2 "unknown flag" -- "$bin" stats --bogus && { one_line "unknown flag"; contains "$err" "--bogus" "unknown flag"; }
  expect 2 "interval zero" -- "$bin" stats -i 0 && { one_line "interval zero"; contains "$err" "0.1" "interval zero names the limit"; }
  expect 2 "interval not a number" -- "$bin" stats -i soon && one_line "interval not a number"
  expect 2 "missing value" -- "$bin" stats -p && one_line "missing value"
  expect 2 "pid of no process" -- "$bin" stats -p 4000000 && one_line "pid of no process"
  expect 2 "bad mode" -- "$bin" stats --mode kprobe && one_line "bad mode"
  expect 2 "stray argument" -- "$bin" stats extra && one_line "stray argument"
  expect 0 "stats --help documents --source" -- "$bin" stats --help && { contains "$out" "--source SOURCE" "stats --help"; contains "$out" "kmod" "stats --help"; }
  expect 2 "bad source" -- "$bin" stats --source ebpf && { one_line "bad source"; contains "$err" "'ebpf'" "bad source names the value"; }
  expect 2 "source without value" -- "$bin" stats --source && one_line "source without value"
  expect 2 "bpf mode with kmod" -- "$bin" stats --source kmod --mode tp && one_line "bpf mode with kmod"
  # Where dirtyscope.ko is not loaded (this project's host), the kmod source
  # is a one-line skip naming the module, never a crash or an empty success.
  if [[ ! -e /sys/module/dirtyscope ]]; then
    expect 4 "kmod source without the module" -- "$bin" stats --source kmod -1 -i 0.1 --json &&
      { one_line "kmod source without the module"; contains "$err" "dirtyscope.ko is not loaded" "kmod skip reason"; }
  fi
  # Without privilege: a clear one-line reason and exit 4, never a crash.
  if command -v setpriv >/dev/null && [[ $(id -u) -eq 0 ]]; then
    expect 4 "unprivileged" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
      --inh-caps=-all --bounding-set=-all "$bin" stats -1 -i 0.1 &&
      { one_line "unprivileged"; contains "$err" "CAP_BPF" "unprivileged names the capability"; }
  else
    echo "note: unprivileged check skipped (needs root and setpriv)"
  fi
else
  "$bin" stats -1 -i 0.2 --json >"$out" 2>"$err"
  rc=$?
  if [[ $rc -eq 4 ]]; then echo "SKIP: $(cat "$err")"; exit 4; fi
  checks=$((checks + 1))
  if [[ $rc -ne 0 ]]; then echo "FAIL: stats -1 --json exit $rc"; cat "$err"; fails=$((fails + 1)); fi
  contains "$out" '"bpf.ring_pushes":' "json batch"
  contains "$out" '"bpf.ioctl_count":' "json batch"
  if command -v python3 >/dev/null; then
    checks=$((checks + 1))
    python3 -m json.tool "$out" >/dev/null || { echo "FAIL: --json output is not JSON"; fails=$((fails + 1)); }
  fi
  expect 0 "stats -1 text" -- "$bin" stats -1 -i 0.2 && contains "$out" "dirtyscope stats" "text header"
  # -p: the watcher ends by itself once the watched process is gone (a
  # script watching a VMM needs no kill), after a last batch. The twin:
  # while it lives, the watcher keeps running.
  sleep 2 & sleeper=$!
  "$bin" stats -p "$sleeper" -i 0.2 --json --cumulative >"$out" 2>"$err" & watcher=$!
  sleep 1
  checks=$((checks + 1))
  kill -0 "$watcher" 2>/dev/null || { echo "FAIL: stats -p ended while its process lived"; cat "$err"; fails=$((fails + 1)); }
  wait "$sleeper"
  for _ in $(seq 50); do kill -0 "$watcher" 2>/dev/null || break; sleep 0.1; done
  checks=$((checks + 1))
  if kill -0 "$watcher" 2>/dev/null; then
    echo "FAIL: stats -p still running 5 s after its process exited"; kill "$watcher"; fails=$((fails + 1))
  fi
  wait "$watcher"; rc=$?
  checks=$((checks + 1))
  [[ $rc -eq 0 ]] || { echo "FAIL: stats -p exit $rc after its process exited"; cat "$err"; fails=$((fails + 1)); }
  contains "$out" '"bpf.ring_alarm":' "stats -p json batch has the ring alarm"
  if [[ -e /sys/module/dirtyscope ]]; then
    expect 0 "stats --source kmod" -- "$bin" stats --source kmod -1 -i 0.2 --json &&
      { contains "$out" '"kmod.ring_pushes":' "kmod json batch"; contains "$out" '"source":"kmod"' "kmod json batch"; }
  fi
fi

echo "$((checks - fails)) passed, $fails failed"
[[ $fails -eq 0 ]]
