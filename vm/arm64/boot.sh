#!/usr/bin/env bash
# The arm64 runner: boots an arm64 Debian kernel (KERNEL: debian-13-arm64,
# Debian 13's 6.12, by default; debian-7.2, sid's 7.2; debian-experimental,
# the 7.3 release candidate; vm/kernel.sh --arch arm64) under QEMU TCG with
# KVM at EL2 (vm/arch/arm64.conf, through vm/boot.sh), where /init
# (vm/arm64/init.sh) checks /dev/kvm, runs vm/kvm_caps.c and every PROGRAM
# given here (static aarch64 binaries), and powers off. With --kmod the
# same boot also tests dirtyscope.ko: cross-built against that kernel's
# headers (vm/kernel.sh --arch arm64 --headers KERNEL; with the compiler
# the kernel was built with, in vm/toolchain.sh's private sid root when the
# host lacks it: 7.x needs gcc-16), its probe prototypes checked against
# their BTF, its test programs built by kmod/tests/build.sh; the guest loads
# it, runs its suite before the programs and the ARM64_KMOD_EXTRA ones,
# unloads it and checks the kernel log.
#
# Usage: vm/arm64/boot.sh [--kmod] ["PROGRAM [ARGS]"...]
#        e.g. "build-arm64/bin/dirty_log_test -M dirty-ring -b 16M -i 2"
#        A test written "!PROGRAM [ARGS]" must fail (exit 1): a negative twin,
#        ok when the program catches the fault it was given; with " ~ REGEX"
#        at the end its output must also match REGEX (grep -E), so an
#        unrelated failure cannot pass as the expected one. A test written
#        "=PROGRAM [ARGS]" must run: its skip (exit 4) is a failure.
# Env:   KERNEL (debian-13-arm64, debian-7.2 or debian-experimental),
#        ARM64_DIR (build/arm64: the kernel's downloads, and without --kmod
#        the run folders runs/<time>-<pid>/ with initramfs/, console.log and
#        guest.ktap, latest/ the newest), ARM64_KMOD_DIR (build/arm64-kmod:
#        headers, module objects, and with --kmod the run folders), ARM64_TIMEOUT (600 s for the whole QEMU run; 900 with
#        --kmod), ARM64_TEST_TIMEOUT (600 s per program), ARM64_MEM (1G),
#        ARM64_SMP (1), ARM64_HUGEPAGES (0: 2 MiB hugetlb pages the guest
#        kernel reserves at boot, for -s anonymous_hugetlb/shared_hugetlb),
#        ARM64_KMOD_EXTRA (with --kmod: more module programs with their
#        arguments, ';'-separated, e.g. "genl_fuzz -n 2000; module_churn -l 5
#        -k 0 /dirtyscope.ko"; KVM is built in, so module_churn needs -k 0),
#        VM_KEEP_LOG=1 (print the whole console), KVM_PATCHES ("a.patch
#        b.patch": boots, instead of Debian's image, the kernel built from
#        its source with them, vm/arm64/kernel-build.sh; KERNEL=debian-7.2
#        only; /dev/null builds it without a change, the control).
# Exit 0 when every result is ok, 1 otherwise, 2 when something is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "arm64-boot: $*" >&2; exit 2; }
note() { echo "arm64-boot: $*" >&2; }
kmod=0
[[ ${1:-} != --kmod ]] || { kmod=1; shift; }
abs() { [[ $1 = /* ]] && echo "$1" || echo "$ROOT/$1"; }
export ARM64_DIR=$(abs "${ARM64_DIR:-build/arm64}")
export ARM64_KMOD_DIR=$(abs "${ARM64_KMOD_DIR:-build/arm64-kmod}")
# The patches as the caller named them, from where it runs.
read -r -a kvm_patches <<<"${KVM_PATCHES:-}"
for i in "${!kvm_patches[@]}"; do
  [[ ${kvm_patches[i]} = /* ]] || kvm_patches[i]=$PWD/${kvm_patches[i]}
done
# Built before the run folder exists, so a patch that does not apply or
# compile leaves no run behind.
kernel_vars=
if ((${#kvm_patches[@]})); then
  "$ROOT/vm/arm64/kernel-build.sh" --check "${KERNEL:-debian-13-arm64}" "${kvm_patches[@]}" || exit 2
  kernel_vars=$("$ROOT/vm/arm64/kernel-build.sh" "${KERNEL:-debian-13-arm64}" "${kvm_patches[@]}") || exit $?
fi
top=$ARM64_DIR
((kmod == 0)) || top=$ARM64_KMOD_DIR
cd "$ROOT"

# --- the programs: each a line of the guest's plan ----------------------------
# "LIMIT<TAB>NAME<TAB>KIND<TAB>REGEX<TAB>COMMAND" (vm/guest.sh run_plan).
tmo=${ARM64_TEST_TIMEOUT:-600}
plan=("$(printf '%s\tkvm_caps\t-\t-\t/tests/bin/kvm_caps' "$tmo")")
progs=()
for cmd in "$@"; do
  kind=- pattern=-
  if [[ $cmd == '!'* ]]; then kind='!'; cmd=${cmd#!}; fi
  if [[ $kind == '!' && $cmd == *' ~ '* ]]; then pattern=${cmd##* ~ }; cmd=${cmd% ~ *}; fi
  if [[ $cmd == '='* ]]; then kind='='; cmd=${cmd#=}; fi
  read -r p args <<<"$cmd"
  [[ -f $p ]] || die "program '$p' not found"
  file -b "$p" | grep -q 'ARM aarch64' || die "'$p' is not an aarch64 binary"
  progs+=("$p")
  name="${#progs[@]}-$(basename "$p")${args:+_${args//[^A-Za-z0-9=.-]/_}}"
  case $kind in '!') name+=_must_fail ;; '=') name+=_must_run ;; esac
  plan+=("$(printf '%s\t%s\t%s\t%s\t%s' "$tmo" "$name" "$kind" "$pattern" "/tests/bin/$(basename "$p")${args:+ $args}")")
done
extra=()
IFS=';' read -r -a specs <<<"${ARM64_KMOD_EXTRA:-}"
for spec in ${specs[@]+"${specs[@]}"}; do
  read -r p args <<<"$spec"
  [[ -n ${p:-} ]] || continue
  [[ $p == module_churn || $p == genl_fuzz ]] || die "ARM64_KMOD_EXTRA: unknown program '$p' (module_churn, genl_fuzz)"
  extra+=("$p${args:+ $args}")
done
# This run's folder (vm/run-folder.sh): its initramfs, console and results.
# shellcheck source=../run-folder.sh
. vm/run-folder.sh
run_folder arm64-boot "$top" "" guest.ktap console.log
rd=$OUT/initramfs
mkdir -p "$rd/tests/bin" "$top/bin"
printf '%s\n' "${plan[@]}" >"$rd/tests/plan"
# A program named by several plan lines is copied once.
if ((${#progs[@]})); then
  mapfile -t progs < <(printf '%s\n' "${progs[@]}" | sort -u)
  cp "${progs[@]}" "$rd/tests/bin/"
fi

"$ROOT/scripts/install-deps.sh" arm64
t0=$(date +%s.%N)
# The kernel, its busybox and with --kmod its headers: KERNEL_* from the one
# kernel interface (vm/kernel.sh --arch arm64 KERNEL).
headers=()
((kmod)) && headers=(--headers)
[[ -n $kernel_vars ]] ||
  kernel_vars=$(vm/kernel.sh --arch arm64 ${headers[@]+"${headers[@]}"} "${KERNEL:-debian-13-arm64}") || exit $?
eval "$kernel_vars"
note "kernel $KERNEL_NAME: $KERNEL_ABI, Debian package version $KERNEL_VERSION${KVM_PATCHES:+, built with KVM_PATCHES=$KVM_PATCHES}"
# kvm_caps: the same program the x86 harness runs, cross-built static.
aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -I lib/include -o "$top/bin/kvm_caps" vm/kvm_caps.c
cp "$top/bin/kvm_caps" "$rd/tests/bin/"

# --- the module, its test programs, the prototype check (--kmod) --------------
if ((kmod)); then
  # Each kernel's objects apart: Debian 13's where they always were.
  obj=$top/obj
  [[ $KERNEL_NAME == debian-13-arm64 ]] || obj=$top/obj-$KERNEL_NAME
  # 7.x: the compiler the kernel was built with (aarch64-linux-gnu-gcc-16)
  # in a private sid root, which also has the sid glibc the suite's amd64
  # kbuild tools need: the x86 harness's root (build/toolchains/sid) with
  # the arm64 cross compiler added. Debian 13's 6.12 (gcc-14) builds with
  # the host's cross gcc-12 and its kbuild tools from bookworm-backports.
  tcb=$ROOT/build tc=
  if [[ $KERNEL_NAME != debian-13-arm64 ]]; then
    tc=$(BUILD_DIR=$tcb vm/toolchain.sh root "$KERNEL_CONFIG" gcc-16-aarch64-linux-gnu) || exit 2
    [[ -n $tc ]] || die "no private toolchain for $KERNEL_ABI (its .config names no gcc-N the host lacks)"
  fi
  wrap=()
  if [[ -n $tc ]]; then
    cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$KERNEL_CONFIG")
    margs=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC="$cc")
    wrap=(KMOD_WRAP="env BUILD_DIR=$tcb $ROOT/vm/toolchain.sh run $tc")
    note "building the module in $tc with $(BUILD_DIR=$tcb vm/toolchain.sh run "$tc" "$cc" --version | head -n1)"
  else
    # Debian built 6.12 with gcc-14; bookworm's gcc-12 lacks one flag,
    # -fmin-function-alignment=8, which CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=
    # turns into the kernel's own fallback -falign-functions=8 (the headers
    # skip the compiler check: DEBIAN_KERNEL_NO_CC_VERSION_CHECK=y).
    margs=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=aarch64-linux-gnu-gcc
      CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=)
  fi
  btf=$(vm/btf-args.sh "$KERNEL_KDIR/.config")
  [[ -z $btf ]] || margs+=("$btf")
  make --no-print-directory kmod KDIR="$KERNEL_KDIR" KMOD_BUILD="$obj" "${margs[@]}" \
    ${wrap[@]+"${wrap[@]}"} >"$top/kmod-build.log" 2>&1 ||
    { cat "$top/kmod-build.log" >&2; echo "arm64-boot: module build failed ($KERNEL_ABI)" >&2; exit 1; }
  ko=$obj/dirtyscope.ko
  vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null || strings "$ko" | sed -n 's/^vermagic=//p')
  note "built $ko ($vermagic)"
  [[ $vermagic == "$KERNEL_ABI "* ]] || die "vermagic '$vermagic' is not $KERNEL_ABI"
  # gcc 12's -falign-functions=8 does not align cold functions (__init ones
  # are cold), which -fmin-function-alignment=8 would: ftrace's per-call-site
  # ops pointer (DYNAMIC_FTRACE_WITH_CALL_OPS) sits in the 8 bytes before
  # each function and must be 8-aligned. Refuse a module where one is not.
  misaligned=$(aarch64-linux-gnu-nm "$ko" | while read -r addr type name; do
    [[ $type == [tT] && $(( 16#$addr % 8 )) -ne 0 ]] && echo "$name"; done || true)
  [[ -z $misaligned ]] || { echo "arm64-boot: functions not 8-byte aligned: $misaligned" >&2; exit 1; }
  kmod/tests/build.sh aarch64-linux-gnu-gcc "$top/bin" dirtyscope_kmod_test spp_kmod_test \
    ${extra[@]+"${extra[@]%% *}"}
  # The headers' vmlinux has BTF; arm64 KVM is built in, no kvm.ko to add.
  prc=0
  kmod/check-prototypes.sh --image "$KERNEL_KDIR/vmlinux" \
    --expected kmod/probe-prototypes-arm64.txt --cache "$top" >"$top/check-prototypes.log" 2>&1 || prc=$?
  case $prc in
  0) note "probe prototypes match the kernel's BTF ($(grep -c '^match' "$top/check-prototypes.log" || true) tracepoints)" ;;
  1) cat "$top/check-prototypes.log" >&2; echo "arm64-boot: probe prototypes differ from the kernel's BTF" >&2; exit 1 ;;
  *) cat "$top/check-prototypes.log" >&2
    die "cannot check the probe prototypes (DIRTYSCOPE_SKIP_BTF_CHECK=1 skips the check)" ;;
  esac
  cp "$ko" "$rd/dirtyscope.ko"
  cp "$top/bin/dirtyscope_kmod_test" "$top/bin/spp_kmod_test" "$rd/tests/"
  for spec in ${extra[@]+"${extra[@]}"}; do cp "$top/bin/${spec%% *}" "$rd/tests/"; done
fi
: >"$rd/tests/extra"
for spec in ${extra[@]+"${extra[@]}"}; do
  read -r p args <<<"$spec"
  printf '%s\t%s\t-\t-\t%s\n' "$tmo" "$p $args" "/tests/$p${args:+ $args}" >>"$rd/tests/extra"
done
cp vm/arm64/init.sh "$rd/init"
t1=$(date +%s.%N)

note "booting $KERNEL_NAME $KERNEL_ABI (TCG, virt with EL2, gic-version=3, -cpu max)"
rc=0
BOOT_KERNEL=$KERNEL_IMAGE BOOT_BUSYBOX=$KERNEL_BUSYBOX BOOT_TIMEOUT=${ARM64_TIMEOUT:-$((kmod ? 900 : 600))} \
  BOOT_MEM=${ARM64_MEM:-1G} BOOT_SMP=${ARM64_SMP:-1} \
  BOOT_APPEND="hugepages=${ARM64_HUGEPAGES:-0}${ARM64_TEST_TIMEOUT:+ ARM64_TEST_TIMEOUT=$ARM64_TEST_TIMEOUT}" \
  vm/boot.sh arm64 "$rd" "$OUT" || rc=$?
t2=$(date +%s.%N)
((rc != 124 && rc != 137)) || note "QEMU timed out"
[[ ${VM_KEEP_LOG:-0} != 1 ]] || cat "$OUT/console.log"
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "arm64-boot: fetch+build+stage %.1f s, pack+QEMU run %.1f s\n", b - a, c - b }'
python3 vm/ktap_summary.py "$OUT/guest.ktap" || rc=1
if ((rc != 0)); then
  echo "arm64-boot: console tail ($OUT/console.log):"
  tail -n 30 "$OUT/console.log"
  exit 1
fi
