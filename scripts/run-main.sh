#!/usr/bin/env bash
# `make run`: the main job with defaults. Every dirty_log_test mode against
# the live kernel, ending in a verdict table; JSON lands in BUILD/run.json.
set -uo pipefail
build=${1:-build}
bin="$build/bin"
echo "== dirty_log_test -M all (every mode, defaults: 1G, 32 iterations, 10 ms)"
"$bin/dirty_log_test" -M all --json "$build/run.json"
status=$?
case $status in
  0) echo "== verdict: every mode passed (JSON: $build/run.json)" ;;
  4) echo "== verdict: every mode skipped: this kernel lacks what the modes need" ;;
  *) echo "== verdict: FAILED (exit $status): see the 'not ok' lines above" ;;
esac
exit $status
