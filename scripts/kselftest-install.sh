#!/usr/bin/env bash
# Installs dirtyscope's tests in the layout of the kernel's kselftest
# install (make -C tools/testing/selftests install INSTALL_PATH=...), so a
# CI system that already runs kselftests runs them with run_kselftest.sh:
#
#   INSTALL_PATH/run_kselftest.sh, INSTALL_PATH/kselftest/  (the kernel's
#       runner, copied from Debian's linux-source via vm/kvm-build.sh --tree)
#   INSTALL_PATH/kselftest-list.txt   dirtyscope:* lines (other collections'
#       lines already there are kept, so this can go into an existing install)
#   INSTALL_PATH/dirtyscope/settings  timeout=KSELFTEST_TIMEOUT (300)
#   INSTALL_PATH/dirtyscope/dirty_log_test, dirty_log_test_multi
#       /bin/sh wrappers (the runner passes no arguments) that run
#       libexec/dirty_log_test with small defaults, or with the arguments
#       given (KSELFTEST_DIRTY_LOG_TEST_ARGS="..." in the runner)
#   INSTALL_PATH/dirtyscope/lib/      every shared library the binary needs
#       and the dynamic loader; the wrappers run the binary through that
#       loader, so the target's own glibc/libstdc++ versions do not matter.
#
# Usage: scripts/kselftest-install.sh INSTALL_PATH   (BUILD_DIR: build)
# Exit 2: INSTALL_PATH missing or the programs not built.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "kselftest-install: $*" >&2; exit 2; }
[[ $# -eq 1 && -n $1 ]] || die "usage: make kselftest-install INSTALL_PATH=DIR"
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
BIN=$BUILD_DIR/bin/dirty_log_test
[[ -x $BIN ]] || die "$BIN not built (run make build)"
TIMEOUT=${KSELFTEST_TIMEOUT:-300}
mkdir -p "$1"
DEST=$(realpath "$1")
COL=$DEST/dirtyscope

# The kernel's runner, from the same source package kvm-build.sh uses.
TREE=$("$ROOT/vm/kvm-build.sh" --tree)
SELFTESTS=$TREE/tools/testing/selftests
[[ -f $SELFTESTS/run_kselftest.sh && -f $SELFTESTS/kselftest/runner.sh ]] ||
  die "$SELFTESTS has no run_kselftest.sh / kselftest/runner.sh"
install -m 755 "$SELFTESTS/run_kselftest.sh" "$DEST/run_kselftest.sh"
mkdir -p "$DEST/kselftest"
cp "$SELFTESTS"/kselftest/* "$DEST/kselftest/"

rm -rf "$COL"
mkdir -p "$COL/libexec" "$COL/lib"
install -m 755 "$BIN" "$COL/libexec/dirty_log_test"
# ldd: "libx.so => /path (0x..)" and "/lib64/ld-linux-x86-64.so.2 (0x..)"
loader=
while read -r lib; do
  [[ -f $lib ]] || continue
  cp -L "$lib" "$COL/lib/"
  [[ $lib == */ld-linux* ]] && loader=$(basename "$lib")
done < <(ldd "$BIN" | grep -oE '/[^ ]+')
[[ -n $loader ]] || die "no dynamic loader found in ldd $BIN"

# wrapper NAME DESCRIPTION DEFAULT-ARGS
wrapper() {
  cat >"$COL/$1" <<EOF
#!/bin/sh
# dirtyscope kselftest: $2
# Runs dirty_log_test (KTAP, exit 0 pass / 1 fail / 4 skip) with the
# libraries installed beside it; arguments replace the defaults
# ($3).
set -eu
here=\$(cd "\$(dirname "\$0")" && pwd)
[ \$# -gt 0 ] || set -- $3
exec "\$here/lib/$loader" --library-path "\$here/lib" "\$here/libexec/dirty_log_test" "\$@"
EOF
  chmod 755 "$COL/$1"
}
wrapper dirty_log_test "every dirty-log mode, 1 vCPU, 1 memslot, CPL3 guest" \
  "-M all -b 16M -i 4 -I 20"
wrapper dirty_log_test_multi "every dirty-log mode, 2 vCPUs, 3 memslots (last one odd-sized), CPL0 guest" \
  "-M all -u 0 -v 2 -x 3 -b 16396K -i 3 -I 20"
echo "timeout=$TIMEOUT" >"$COL/settings"

# Keep other collections' entries; ours replace any earlier dirtyscope ones.
LIST=$DEST/kselftest-list.txt
{
  if [[ -f $LIST ]]; then grep -v '^dirtyscope:' "$LIST" || true; fi
  echo "dirtyscope:dirty_log_test"
  echo "dirtyscope:dirty_log_test_multi"
} >"$LIST.tmp"
mv "$LIST.tmp" "$LIST"
echo "kselftest-install: $(grep -c '^dirtyscope:' "$LIST") dirtyscope tests in $DEST (runner from $(basename "$TREE"))"
