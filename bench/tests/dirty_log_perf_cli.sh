#!/usr/bin/env bash
# dirty_log_perf's command-line contract: -h exits 0; bad input exits 2
# with exactly one line on stderr naming the value. None of these needs
# /dev/kvm (they fail before it is opened), except the KVM-limit check,
# which is only run where /dev/kvm can be opened.
set -uo pipefail
bin=${1:?usage: dirty_log_perf_cli.sh PATH_TO_dirty_log_perf}
fails=0 passes=0

expect_usage_error() {  # expect_usage_error WORD ARGS...: exit 2, one stderr line containing WORD
  local word=$1; shift
  local err status lines
  err=$("$bin" "$@" 2>&1 >/dev/null); status=$?
  lines=$(printf '%s' "$err" | grep -c '')
  if [[ $status -eq 2 && $lines -eq 1 && $err == *"$word"* ]]; then
    passes=$((passes + 1))
  else
    echo "FAIL: dirty_log_perf $* -> exit $status, stderr ($lines lines): $err"; fails=$((fails + 1))
  fi
}

if "$bin" -h | grep -q -- '-M MODE'; then passes=$((passes + 1)); else echo "FAIL: -h"; fails=$((fails + 1)); fi

expect_usage_error "not a power of two" -c 1000
expect_usage_error "at least 2" -i 1
expect_usage_error "unknown backing 'tmpfs'" -s tmpfs
expect_usage_error "unknown mode 'bitmap'" -M bitmap
expect_usage_error "this host can back" -b 64T
expect_usage_error "this host can back" -b 1T -v 64
expect_usage_error "unknown option -n" -n
expect_usage_error "needs a value" -b
expect_usage_error "2 MiB aligned" -p 0x1000
expect_usage_error "cannot write" -b 2M --json /nonexistent-dir/out.json
if [[ -r /dev/kvm && -w /dev/kvm ]]; then
  expect_usage_error "outside KVM's limits" -M dirty-ring -c 64 -b 2M
fi

echo "dirty_log_perf_cli: $passes passed, $fails failed"
[[ $fails -eq 0 ]]
