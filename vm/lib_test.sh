#!/usr/bin/env bash
# ctest vm.lib (label unit, no VM, no kernel build): vm/lib.sh's
# patch_source (a patch set in place, switched, refused whole), and
# config_differs and config_kept, the check every kernel build (vm/debug-kernel.sh,
# vm/tree-kernel.sh, vm/arm64/kernel-build.sh) makes that its fragment's
# lines survived olddefconfig: silent when they did, each line that did
# not when not, and a later fragment's line for an option wins.
set -uo pipefail
WHO=lib-test
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=check.sh
. "$(dirname "$0")/check.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' 'CONFIG_KVM=m' 'CONFIG_KVM_AMD=m' '# CONFIG_KVM_INTEL is not set' 'CONFIG_NET=y' \
  'CONFIG_LOG_BUF_SHIFT=17' '# CONFIG_KPROBES is not set' >"$tmp/config"

printf '%s\n' '# what it needs' 'CONFIG_KVM=m' 'CONFIG_NET=y' 'CONFIG_LOG_BUF_SHIFT=17' \
  '# CONFIG_KVM_INTEL is not set' '# CONFIG_FUNCTION_TRACER is not set' >"$tmp/kept"
check "every line kept (an option off may be absent): nothing" same "" "$(config_differs "$tmp/config" "$tmp/kept")"

printf '%s\n' 'CONFIG_KVM=y' 'CONFIG_KPROBES=y' 'CONFIG_DEBUG_FS=y' '# CONFIG_NET is not set' \
  'CONFIG_LOG_BUF_SHIFT=18' 'CONFIG_KVM_AMD=m' >"$tmp/lost"
check "each line not kept, as written, in order" same \
  "$(printf '%s\n' 'CONFIG_KVM=y' 'CONFIG_KPROBES=y' 'CONFIG_DEBUG_FS=y' '# CONFIG_NET is not set' 'CONFIG_LOG_BUF_SHIFT=18')" \
  "$(config_differs "$tmp/config" "$tmp/lost")"

printf '%s\n' 'CONFIG_KPROBES=y' >"$tmp/first"
printf '%s\n' '# CONFIG_KPROBES is not set' >"$tmp/second"
check "a later fragment's line replaces an earlier one (kept)" same "" \
  "$(config_differs "$tmp/config" "$tmp/first" "$tmp/second")"
check "... and the other way round (lost)" same "CONFIG_KPROBES=y" \
  "$(config_differs "$tmp/config" "$tmp/second" "$tmp/first")"

# config_kept: the dying form of the same check (every kernel build's).
got=$( (config_kept "$tmp/config" kept.config "$tmp/kept") 2>&1; echo "exit $?")
check "config_kept: every line kept, silent, exit 0" same "exit 0" "$got"
got=$( (config_kept "$tmp/config" lost.config "$tmp/lost") 2>&1; echo "exit $?")
check "config_kept: dies naming each lost option, exit 2" same \
  "$(printf '%s\n' 'lib-test: the config lost what lost.config asks for: CONFIG_KVM CONFIG_KPROBES CONFIG_DEBUG_FS CONFIG_NET CONFIG_LOG_BUF_SHIFT' 'exit 2')" "$got"

# patch_source: a set goes in, another replaces it, one that does not apply
# leaves the source as it was, and none gives the plain source back.
mkdir -p "$tmp/src/a" && seq 9 >"$tmp/src/a/f" && cp -r "$tmp/src" "$tmp/plain"
seq 9 | sed 's/^2$/TWO/' >"$tmp/two" && seq 9 | sed 's/^8$/EIGHT/' >"$tmp/eight"
for v in two eight; do diff -u --label a/a/f --label b/a/f "$tmp/src/a/f" "$tmp/$v" >"$tmp/$v.patch"; done
sed "s/^ .*/ not in the source/" "$tmp/eight.patch" >"$tmp/bad.patch"
got=$( (patch_source "$tmp/src" "$tmp/two.patch") 2>/dev/null; cat "$tmp/src/a/f")
check "patch_source: the set goes in" same "$(seq 9 | sed 's/^2$/TWO/')" "$got"
got=$( (patch_source "$tmp/src" "$tmp/eight.patch") 2>/dev/null; cat "$tmp/src/a/f")
check "patch_source: another set replaces it" same "$(seq 9 | sed 's/^8$/EIGHT/')" "$got"
got=$( (patch_source "$tmp/src" "$tmp/two.patch" "$tmp/bad.patch") 2>&1; echo "exit $?"; cat "$tmp/src/a/f")
check "patch_source: a patch that does not apply: named, exit 2, the source as it was" same \
  "$(printf '%s\n' "lib-test: bad.patch does not apply to $tmp/src: a/f: Hunk #1 FAILED at 5." 'exit 2'; seq 9)" "$got"
got=$( (patch_source "$tmp/src" "$tmp/two.patch" && patch_source "$tmp/src") 2>/dev/null; diff -r "$tmp/plain" "$tmp/src")
check "patch_source: no patches, the plain source" same "" "$got"
# A series whose second patch changes a line the first added: in, and out
# again (last patch first); and refused after it, both taken back out.
seq 9 | sed 's/^2$/TWICE/' >"$tmp/twice"
diff -u --label a/a/f --label b/a/f "$tmp/two" "$tmp/twice" >"$tmp/twice.patch"
got=$( (patch_source "$tmp/src" "$tmp/two.patch" "$tmp/twice.patch") 2>/dev/null; sed -n 2p "$tmp/src/a/f")
check "patch_source: a series building on itself goes in" same "TWICE" "$got"
got=$( (patch_source "$tmp/src" "$tmp/eight.patch") 2>&1 >/dev/null | grep -v '^lib-test: applied'; diff -r "$tmp/plain" "$tmp/src" | grep -c '^[<>]')
check "patch_source: ... and comes out for the next set" same "2" "$got"
got=$( (patch_source "$tmp/src" && patch_source "$tmp/src" "$tmp/two.patch" "$tmp/twice.patch" "$tmp/bad.patch") 2>/dev/null; diff -r "$tmp/plain" "$tmp/src")
check "patch_source: refused after it: both taken back out" same "" "$got"

checks_done vm.lib
