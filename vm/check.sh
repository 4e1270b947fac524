# shellcheck shell=bash
# The vm/ unit tests' one way to check (sourced): each check prints "ok - NAME"
# or "not ok - NAME" after what it got, and checks_done ends the test by them.
fails=0
# check NAME COMMAND...: NAME holds when COMMAND succeeds.
check() {
  local name=$1
  shift
  if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}
# same WANT GOT: the two strings are equal; else both are shown.
same() { [[ $1 == "$2" ]] || { printf '  want: %q\n  got:  %q\n' "$1" "$2"; return 1; }; }
# exits WANT_EXIT WANT_PATTERN COMMAND...: COMMAND exits WANT_EXIT and its
# output (with stderr) matches WANT_PATTERN; else both are shown.
exits() {
  local want=$1 pattern=$2 out rc=0
  shift 2
  out=$("$@" 2>&1) || rc=$?
  [[ $rc == "$want" ]] && grep -qE -- "$pattern" <<<"$out" && return
  echo "  exit $rc, want $want; output: ${out//$'\n'/ | }"
  return 1
}
# checks_done TEST: the closing line, and exit 1 if a check failed.
checks_done() {
  if ((fails)); then echo "$1: $fails failed"; exit 1; fi
  echo "$1: all passed"
}
