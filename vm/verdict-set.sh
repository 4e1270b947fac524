#!/usr/bin/env bash
# Reads vm/verdict-set.txt (or VERDICT_SET=FILE), the recommended
# dirty_log_test verdict set, for the scripts that run it.
# Usage: vm/verdict-set.sh configs         one "LABEL|ARGS" line per run
#        vm/verdict-set.sh hugepages       the 2 MiB pages the set needs
# Exit 2 with one line on stderr for a malformed file or bad usage.
set -euo pipefail
WHO=verdict-set
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
FILE=${VERDICT_SET:-$ROOT/vm/verdict-set.txt}
[[ -f $FILE ]] || die "'$FILE' not found"

hugepages=0
labels=() args=()
lineno=0
while IFS= read -r line || [[ -n $line ]]; do
  lineno=$((lineno + 1))
  line=${line%%#*}
  read -r kw rest <<<"$line" || true
  [[ -n ${kw:-} ]] || continue
  case $kw in
  hugepages)
    [[ $rest =~ ^[0-9]+$ ]] || die "$FILE:$lineno: hugepages needs a number, not '$rest'"
    hugepages=$rest ;;
  run)
    read -r label a <<<"$rest" || true
    [[ -n ${label:-} && -n ${a:-} ]] || die "$FILE:$lineno: 'run' needs a label and arguments"
    [[ $label =~ ^[A-Za-z0-9._-]+$ ]] || die "$FILE:$lineno: label '$label' is not [A-Za-z0-9._-]+"
    [[ " ${labels[*]} " != *" $label "* ]] || die "$FILE:$lineno: label '$label' used twice"
    [[ $a != *";"* && $a != *"|"* ]] || die "$FILE:$lineno: arguments may not hold ';' or '|'"
    labels+=("$label") args+=("$a") ;;
  *) die "$FILE:$lineno: unknown keyword '$kw' (hugepages, run)" ;;
  esac
done <"$FILE"
((${#labels[@]})) || die "$FILE: no 'run' lines"

case ${1:-}:$# in
configs:1) for i in "${!labels[@]}"; do echo "${labels[i]}|${args[i]}"; done ;;
hugepages:1) echo "$hugepages" ;;
*) die "usage: vm/verdict-set.sh configs|hugepages" ;;
esac
