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
# The console is build/arm64/console.log; results are its "ARM64: " lines.
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
mkdir -p "$rd"/{bin,sbin,proc,sys,dev,tmp,tests/bin}
cp "$ARM64_BUSYBOX" "$rd/bin/busybox"
# The arm64 busybox cannot run here to list its applets, and `--install`
# would also link busybox onto itself (ELOOP, see DESIGN.md): link the
# applets init.sh and test scripts use, by name.
for a in sh mount mkdir cut uname dmesg grep sed cat echo timeout poweroff ls \
  sleep date test '[' head tail wc env true false; do
  ln -s busybox "$rd/bin/$a"
done
cp "$ROOT/vm/arm64/init.sh" "$rd/init"
cp "$ROOT/vm/ktap.sh" "$rd/ktap.sh"
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
(cd "$rd" && find . | cpio -o -H newc --quiet) >"$top/initramfs.cpio"
t1=$(date +%s.%N)

note "booting $ARM64_KERNEL_ABI (TCG, virt with EL2, gic-version=3, -cpu max)"
console=$top/console.log
rc=0
timeout "${ARM64_TIMEOUT:-600}" qemu-system-aarch64 \
  -machine virt,virtualization=on,gic-version=3 -cpu max -accel tcg \
  -smp "${ARM64_SMP:-1}" -m "${ARM64_MEM:-1G}" -nographic -no-reboot -net none \
  -monitor none -serial "file:$console" \
  -kernel "$ARM64_KERNEL_IMAGE" -initrd "$top/initramfs.cpio" \
  -append "console=ttyAMA0 panic=-1 oops=panic hugepages=${ARM64_HUGEPAGES:-0}" || rc=$?
t2=$(date +%s.%N)
((rc == 124)) && note "QEMU timed out after ${ARM64_TIMEOUT:-600} s"

grep -a '^ARM64: ' "$console" | sed 's/^ARM64: //' || true
oks=$(grep -ac '^ARM64: ok ' "$console" || true)
bad=$(grep -ac '^ARM64: not ok ' "$console" || true)
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "arm64-boot: fetch+pack %.1f s, QEMU run %.1f s\n", b - a, c - b }'
echo "$oks passed, $bad failed"
if ((bad > 0 || oks == 0 || rc != 0)); then
  echo "arm64-boot: console tail ($console):"
  tail -n 20 "$console"
  exit 1
fi
