#!/usr/bin/env bash
# After a failed `make test`: for each test ctest recorded as failed, print
# the lines of its output that say what failed ("not ok", FAIL, error), so
# the reason is in the last screen of a CI log that keeps only its head and
# tail. .ci/run repeats ctest's closing summary after it.
# Usage: scripts/ctest-failures.sh BUILD_DIR
set -uo pipefail
dir=${1:?usage: scripts/ctest-failures.sh BUILD_DIR}/Testing/Temporary
log=$dir/LastTest.log
[[ -r $dir/LastTestsFailed.log && -r $log ]] || exit 0
echo "=== what the failed tests said (from $log)"
while IFS=: read -r _ name; do
  echo "--- $name"
  # The test's section runs from "Test: NAME" to its "Test time" line.
  awk -v name="$name" '
    $0 ~ "^[0-9]+/[0-9]+ Test: " && $3 == name { on = 1; next }
    on && /^Test time/ { exit }
    on && /(^|[[:space:]])not ok |FAIL|[Ee]rror|Assertion|timed? ?out|[Tt]imeout/ { print; if (++n >= 40) exit }
  ' "$log"
done < "$dir/LastTestsFailed.log"
