#!/usr/bin/env bash
# Boots Debian 13's arm64 6.12 kernel under QEMU TCG with KVM at EL2 (issue
# 14): `-machine virt,virtualization=on,gic-version=3 -cpu max`, so the guest
# kernel comes up in VHE mode and has /dev/kvm. Inside, /init (vm/arm64/
# init.sh) checks /dev/kvm, runs vm/kvm_caps.c (cross-built, static) and
# then every PROGRAM given here (static aarch64 binaries), and powers off.
#
# Usage: vm/arm64/boot.sh ["PROGRAM [ARGS]"...]   e.g. "build-arm64/bin/arm64_hello_vm -m ring"
#        A test written "!PROGRAM [ARGS]" must fail (exit 1): a negative twin,
#        ok when the program catches the fault it was given; with " ~ REGEX"
#        at the end its output must also match REGEX (grep -E), so an
#        unrelated failure cannot pass as the expected one. A test written
#        "=PROGRAM [ARGS]" must run: its skip (exit 4) is a failure.
# Env:   ARM64_DIR (build/arm64: downloads, initramfs, console.log)
#        ARM64_TIMEOUT (600 s for the whole QEMU run), ARM64_MEM (1G),
#        ARM64_SMP (1), ARM64_HUGEPAGES (0: 2 MiB hugetlb pages the guest
#        kernel reserves at boot, for -s anonymous_hugetlb/shared_hugetlb)
# Exit 0 when every result is ok, 1 otherwise, 2 when something is missing.
# In ARM64_DIR: console.log (the kernel console) and guest.ktap (the
# results, written by /init to the second port, vm/arch/arm64.conf).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "arm64-boot: $*" >&2; exit 2; }
note() { echo "arm64-boot: $*" >&2; }
top=${ARM64_DIR:-$ROOT/build/arm64}
[[ $top = /* ]] || top=$ROOT/$top
export ARM64_DIR=$top

"$ROOT/scripts/install-deps.sh" arm64
t0=$(date +%s.%N)
eval "$("$ROOT/vm/arm64/fetch.sh")"
[[ -f $ARM64_KERNEL_IMAGE && -x $ARM64_BUSYBOX ]] || die "fetch gave no kernel/busybox"

# kvm_caps: the same program the x86 harness runs, cross-built static.
mkdir -p "$top/bin"
aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -I"$ROOT/lib/include" \
  -o "$top/bin/kvm_caps" "$ROOT/vm/kvm_caps.c"

rd=$top/initramfs
rm -rf "$rd"
mkdir -p "$rd/tests/bin"
cp "$ROOT/vm/arm64/init.sh" "$rd/init"
order=(kvm_caps)
cp "$top/bin/kvm_caps" "$rd/tests/"
# Each test is a one-line script in /tests/ (its name says what runs), the
# binary in /tests/bin/.
i=0
for cmd in "$@"; do
  expect_fail=0 must_run=0 pattern=
  if [[ $cmd == '!'* ]]; then expect_fail=1; cmd=${cmd#!}; fi
  if ((expect_fail)) && [[ $cmd == *' ~ '* ]]; then pattern=${cmd##* ~ }; cmd=${cmd% ~ *}; fi
  [[ $pattern != *"'"* ]] || die "'$pattern': a pattern cannot hold a single quote"
  if [[ $cmd == '='* ]]; then must_run=1; cmd=${cmd#=}; fi
  read -r p args <<<"$cmd"
  [[ -f $p ]] || die "program '$p' not found"
  file -b "$p" | grep -q 'ARM aarch64' || die "'$p' is not an aarch64 binary"
  cp "$p" "$rd/tests/bin/"
  i=$((i + 1))
  name="$i-$(basename "$p")${args:+_${args//[^A-Za-z0-9=.-]/_}}"
  if ((expect_fail)); then
    name+="_must_fail"
    if [[ -n $pattern ]]; then
      printf '#!/bin/sh\n/tests/bin/%s %s >/tmp/twin.out 2>&1\nrc=$?\ncat /tmp/twin.out\n' \
        "$(basename "$p")" "$args" >"$rd/tests/$name"
      printf "m=0; grep -Eq '%s' /tmp/twin.out && m=1\n" "$pattern" >>"$rd/tests/$name"
      printf 'echo "exit $rc, expected 1; output matches %s: $m"\n[ $rc -eq 1 ] && [ $m -eq 1 ]\n' \
        "'$pattern'" >>"$rd/tests/$name"
    else
      printf '#!/bin/sh\n/tests/bin/%s %s\nrc=$?\necho "exit $rc, expected 1"\n[ $rc -eq 1 ]\n' \
        "$(basename "$p")" "$args" >"$rd/tests/$name"
    fi
  elif ((must_run)); then
    name+="_must_run"
    printf '#!/bin/sh\n/tests/bin/%s %s\nrc=$?\n[ $rc -ne 4 ] || echo "skipped, but this test must run"\n[ $rc -eq 0 ]\n' \
      "$(basename "$p")" "$args" >"$rd/tests/$name"
  else
    printf '#!/bin/sh\nexec /tests/bin/%s %s\n' "$(basename "$p")" "$args" >"$rd/tests/$name"
  fi
  chmod +x "$rd/tests/$name"
  order+=("$name")
done
printf '%s\n' "${order[@]}" >"$rd/tests/order"
t1=$(date +%s.%N)
note "booting $ARM64_KERNEL_ABI (TCG, virt with EL2, gic-version=3, -cpu max)"
rc=0
BOOT_KERNEL=$ARM64_KERNEL_IMAGE BOOT_BUSYBOX=$ARM64_BUSYBOX BOOT_TIMEOUT=${ARM64_TIMEOUT:-600} \
  BOOT_MEM=${ARM64_MEM:-1G} BOOT_SMP=${ARM64_SMP:-1} BOOT_APPEND="hugepages=${ARM64_HUGEPAGES:-0}" \
  "$ROOT/vm/boot.sh" arm64 "$rd" "$top" || rc=$?
t2=$(date +%s.%N)
((rc != 124 && rc != 137)) || note "QEMU timed out after ${ARM64_TIMEOUT:-600} s"
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "arm64-boot: fetch+stage %.1f s, pack+QEMU run %.1f s\n", b - a, c - b }'
python3 "$ROOT/vm/ktap_summary.py" "$top/guest.ktap" || rc=1
if ((rc != 0)); then
  echo "arm64-boot: console tail ($top/console.log):"
  tail -n 20 "$top/console.log"
  exit 1
fi
