#!/usr/bin/env bash
# The arm64 runner: boots an arm64 Debian kernel (KERNEL, vm/kernel.sh
# --arch arm64: debian-13-arm64, the default; debian-7.2; debian-experimental)
# under QEMU TCG with KVM at EL2 (vm/boot.sh arm64), where vm/arm64/init.sh
# runs vm/kvm_caps.c and each PROGRAM, a static aarch64 binary. With --kmod
# the same boot first tests dirtyscope.ko, cross-built against that
# kernel's headers. What it does, step by step: docs/kernels-and-vm-harness.md,
# "arm64" and "dirtyscope.ko on arm64".
# Usage: vm/arm64/boot.sh [--kmod] ["PROGRAM [ARGS]"...]
#   "=PROGRAM ARGS" must run (its skip, exit 4, fails); "!PROGRAM ARGS[ ~ REGEX]"
#   must fail with exit 1, its output matching REGEX (a negative twin).
# Env: KERNEL; ARM64_DIR (build/arm64: downloads, and run folders without
#   --kmod), ARM64_KMOD_DIR (build/arm64-kmod: headers, module objects, run
#   folders with --kmod), ARM64_TIMEOUT (whole run: 600 s, 900 with --kmod),
#   ARM64_TEST_TIMEOUT (600 s a program), ARM64_MEM (1G), ARM64_SMP (1),
#   ARM64_HUGEPAGES (0: 2 MiB pages reserved at boot), ARM64_KMOD_EXTRA
#   (--kmod: ';'-separated genl_fuzz/module_churn runs; KVM is built in, so
#   module_churn needs -k 0), VM_KEEP_LOG=1 (print the whole console),
#   KVM_PATCHES ("a.patch b.patch", KERNEL=debian-7.2 only: boots the kernel
#   vm/arm64/kernel-build.sh builds from its source with them; /dev/null
#   builds it unchanged, the control).
# Exit 0 when every result is ok, 1 otherwise, 2 when something is missing.
set -euo pipefail
WHO=arm64-boot
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
kmod=0
[[ ${1:-} != --kmod ]] || { kmod=1; shift; }
ARM64_DIR=$(abs "${ARM64_DIR:-build/arm64}") ARM64_KMOD_DIR=$(abs "${ARM64_KMOD_DIR:-build/arm64-kmod}")
export ARM64_DIR ARM64_KMOD_DIR
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
# ARM64_KMOD_EXTRA: the module's programs run after the plan (/tests/extra).
extra=() extra_plan=()
IFS=';' read -r -a specs <<<"${ARM64_KMOD_EXTRA:-}"
for spec in ${specs[@]+"${specs[@]}"}; do
  read -r p args <<<"$spec"
  [[ -n ${p:-} ]] || continue
  [[ $p == module_churn || $p == genl_fuzz ]] || die "ARM64_KMOD_EXTRA: unknown program '$p' (module_churn, genl_fuzz)"
  extra+=("$p")
  extra_plan+=("$(printf '%s\t%s\t-\t-\t%s' "$tmo" "$p $args" "/tests/$p${args:+ $args}")")
done
# This run's folder (vm/run-folder.sh): its initramfs, console and results.
# shellcheck source=../run-folder.sh
. vm/run-folder.sh
run_folder "$top" "" guest.ktap console.log
rd=$OUT/initramfs
mkdir -p "$rd/tests/bin" "$top/bin"
printf '%s\n' "${plan[@]}" >"$rd/tests/plan"
printf '%s\n' ${extra_plan[@]+"${extra_plan[@]}"} >"$rd/tests/extra"
# A program named by several plan lines is copied once.
((${#progs[@]} == 0)) || printf '%s\n' "${progs[@]}" | sort -u | xargs -d '\n' cp -t "$rd/tests/bin/"

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
aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -I lib/include -o "$rd/tests/bin/kvm_caps" vm/kvm_caps.c

# --- the module, its test programs, the prototype check (--kmod) --------------
if ((kmod)); then
  # Each kernel's objects apart: Debian 13's where they always were.
  obj=$top/obj
  [[ $KERNEL_NAME == debian-13-arm64 ]] || obj=$top/obj-$KERNEL_NAME
  margs=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
  if [[ $KERNEL_NAME != debian-13-arm64 ]]; then
    # 7.x: its compiler (aarch64-linux-gnu-gcc-16) added to the x86
    # harness's private sid root (build/toolchains/sid), whose glibc the
    # suite's amd64 kbuild tools need too.
    tc=$(BUILD_DIR=$ROOT/build vm/toolchain.sh root "$KERNEL_CONFIG" gcc-16-aarch64-linux-gnu) || exit 2
    [[ -n $tc ]] || die "no private toolchain for $KERNEL_ABI (its .config names no gcc-N the host lacks)"
    cc=$(kernel_cc "$KERNEL_CONFIG")
    margs+=(CC="$cc" KMOD_WRAP="env BUILD_DIR=$ROOT/build $ROOT/vm/toolchain.sh run $tc")
    note "building the module in $tc with $(BUILD_DIR=$ROOT/build vm/toolchain.sh run "$tc" "$cc" --version | head -n1)"
  else
    # Debian 13 built 6.12 with gcc-14: the one flag bookworm's gcc-12 lacks
    # becomes the kernel's own fallback (docs: "dirtyscope.ko on arm64").
    margs+=(CC=aarch64-linux-gnu-gcc CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=)
  fi
  btf=$(btf_args "$KERNEL_KDIR/.config")
  [[ -z $btf ]] || margs+=("$btf")
  make --no-print-directory kmod KDIR="$KERNEL_KDIR" KMOD_BUILD="$obj" "${margs[@]}" >"$top/kmod-build.log" 2>&1 ||
    { cat "$top/kmod-build.log" >&2; echo "arm64-boot: module build failed ($KERNEL_ABI)" >&2; exit 1; }
  ko=$obj/dirtyscope.ko
  vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null || strings "$ko" | sed -n 's/^vermagic=//p')
  note "built $ko ($vermagic)"
  [[ $vermagic == "$KERNEL_ABI "* ]] || die "vermagic '$vermagic' is not $KERNEL_ABI"
  # gcc 12's -falign-functions=8 skips cold (__init) functions, and ftrace's
  # per-call-site ops pointer before each function needs 8-byte alignment.
  misaligned=$(aarch64-linux-gnu-nm "$ko" | while read -r addr type name; do
    [[ $type == [tT] && $(( 16#$addr % 8 )) -ne 0 ]] && echo "$name"; done || true)
  [[ -z $misaligned ]] || { echo "arm64-boot: functions not 8-byte aligned: $misaligned" >&2; exit 1; }
  kmod/tests/build.sh aarch64-linux-gnu-gcc "$top/bin" dirtyscope_kmod_test spp_kmod_test ${extra[@]+"${extra[@]}"}
  # The headers' vmlinux has BTF; arm64 KVM is built in, no kvm.ko to add.
  prc=0
  kmod/check-prototypes.sh --image "$KERNEL_KDIR/vmlinux" \
    --expected kmod/probe-prototypes-arm64.txt --cache "$top" >"$top/check-prototypes.log" 2>&1 || prc=$?
  ((prc == 0)) || cat "$top/check-prototypes.log" >&2
  ((prc != 1)) || { note "probe prototypes differ from the kernel's BTF"; exit 1; }
  ((prc == 0)) || die "cannot check the probe prototypes (DIRTYSCOPE_SKIP_BTF_CHECK=1 skips the check)"
  note "probe prototypes match the kernel's BTF ($(grep -c '^match' "$top/check-prototypes.log" || true) tracepoints)"
  cp "$ko" "$rd/dirtyscope.ko"
  for p in dirtyscope_kmod_test spp_kmod_test ${extra[@]+"${extra[@]}"}; do cp "$top/bin/$p" "$rd/tests/"; done
fi
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
