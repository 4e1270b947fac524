#!/usr/bin/env bash
# dirtyscope.ko on arm64 (`make vm-arm64-kmod`): cross-builds the
# module against the arm64 headers of the kernel vm/arm64/boot.sh boots
# (Debian 13's 6.12, fetched by vm/arm64/fetch-headers.sh), cross-builds the
# module's test programs (static aarch64), boots that kernel under QEMU TCG
# with KVM at EL2 (VHE) and runs vm/arm64/kmod-init.sh there: insmod, the
# tests, reload, rmmod, a dmesg check. Ends with "N passed, M failed".
#
# The compiler: Debian built the kernel with aarch64-linux-gnu-gcc-14; here
# there is bookworm's gcc-12 cross compiler. The kernel's gcc-14-only flag
# -fmin-function-alignment=8 is swapped for -falign-functions=8 (what the
# kernel's own Makefile uses for older compilers: CONFIG_CC_HAS_MIN_FUNCTION_
# ALIGNMENT= on the command line), module BTF is skipped when pahole is
# missing, and the headers do not check the compiler version
# (DEBIAN_KERNEL_NO_CC_VERSION_CHECK=y in their .kernelvariables).
#
# Env: ARM64_KMOD_DIR (build/arm64-kmod: headers, objects, initramfs,
#      console.log, guest.ktap), ARM64_TIMEOUT (900 s for the QEMU run), ARM64_TEST_TIMEOUT
#      (600 s per program), ARM64_MEM (1G), ARM64_KMOD_EXTRA (more programs
#      from kmod/tests with their arguments, ';'-separated, e.g.
#      "genl_fuzz -n 2000; module_churn -l 5 -k 0 /dirtyscope.ko"; arm64's
#      KVM is built in, so module_churn's kvm.ko reloads must be -k 0),
#      VM_KEEP_LOG=1 (print the whole console).
# Exit 0 when every result is ok, 1 otherwise, 2 when something is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "arm64-kmod: $*" >&2; exit 2; }
note() { echo "arm64-kmod: $*" >&2; }
top=${ARM64_KMOD_DIR:-$ROOT/build/arm64-kmod}
[[ $top = /* ]] || top=$ROOT/$top
export ARM64_KMOD_DIR=$top
cd "$ROOT"

"$ROOT/scripts/install-deps.sh" arm64
t0=$(date +%s.%N)
eval "$("$ROOT/vm/arm64/fetch-headers.sh")"
[[ -f $ARM64_KDIR/Makefile && -f $ARM64_KERNEL_IMAGE && -x $ARM64_BUSYBOX ]] ||
  die "fetch-headers gave no headers/kernel/busybox"

# --- the module ---------------------------------------------------------------
obj=$top/obj
mkdir -p "$obj"
cp -a Kbuild kmod "$obj/"
margs=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=aarch64-linux-gnu-gcc
  CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=)
command -v pahole >/dev/null || margs+=(CONFIG_DEBUG_INFO_BTF_MODULES=)
make -C "$ARM64_KDIR" M="$obj" "${margs[@]}" -j"$(nproc)" modules >"$top/kmod-build.log" 2>&1 ||
  { cat "$top/kmod-build.log" >&2; echo "arm64-kmod: module build failed" >&2; exit 1; }
ko=$obj/dirtyscope.ko
vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null || strings "$ko" | sed -n 's/^vermagic=//p')
note "built $ko ($vermagic)"
[[ $vermagic == "$ARM64_KERNEL_ABI "* ]] || die "vermagic '$vermagic' is not $ARM64_KERNEL_ABI"
# gcc 12's -falign-functions=8 does not align cold functions (__init ones
# are cold), which -fmin-function-alignment=8 would: ftrace's per-call-site
# ops pointer (DYNAMIC_FTRACE_WITH_CALL_OPS) sits in the 8 bytes before
# each function and must be 8-aligned. Refuse a module where one is not.
misaligned=$(aarch64-linux-gnu-nm "$ko" | while read -r addr type name; do
  [[ $type == [tT] && $(( 16#$addr % 8 )) -ne 0 ]] && echo "$name"; done || true)
[[ -z $misaligned ]] || { echo "arm64-kmod: functions not 8-byte aligned: $misaligned" >&2; exit 1; }

# --- the test programs: static, built as every suite builds them -------------
bin=$top/bin
extra=()
IFS=';' read -r -a specs <<<"${ARM64_KMOD_EXTRA:-}"
for spec in ${specs[@]+"${specs[@]}"}; do
  read -r p args <<<"$spec"
  [[ -n ${p:-} ]] || continue
  [[ $p == module_churn || $p == genl_fuzz ]] || die "ARM64_KMOD_EXTRA: unknown program '$p' (module_churn, genl_fuzz)"
  extra+=("$p${args:+ $args}")
done
kmod/tests/build.sh aarch64-linux-gnu-gcc "$bin" dirtyscope_kmod_test spp_kmod_test \
  ${extra[@]+"${extra[@]%% *}"}
aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -I lib/include -o "$bin/kvm_caps" vm/kvm_caps.c

# The tracepoint probes' prototypes against the kernel's BTF (the headers'
# vmlinux has it; arm64 KVM is built in, so there is no kvm.ko to add).
prc=0
kmod/check-prototypes.sh --image "$ARM64_KDIR/vmlinux" \
  --expected kmod/probe-prototypes-arm64.txt --cache "$top" >"$top/check-prototypes.log" 2>&1 || prc=$?
case $prc in
0) note "probe prototypes match the kernel's BTF ($(grep -c '^match' "$top/check-prototypes.log" || true) tracepoints)" ;;
1) cat "$top/check-prototypes.log" >&2; echo "arm64-kmod: probe prototypes differ from the kernel's BTF" >&2; exit 1 ;;
*) cat "$top/check-prototypes.log" >&2
  die "cannot check the probe prototypes (DIRTYSCOPE_SKIP_BTF_CHECK=1 skips the check)" ;;
esac

# --- initramfs and boot -----------------------------------------------------
rd=$top/initramfs
rm -rf "$rd"
mkdir -p "$rd/tests"
cp vm/arm64/kmod-init.sh "$rd/init"
cp "$ko" "$rd/dirtyscope.ko"
cp "$bin/dirtyscope_kmod_test" "$bin/spp_kmod_test" "$bin/kvm_caps" "$rd/tests/"
for spec in ${extra[@]+"${extra[@]}"}; do cp "$bin/${spec%% *}" "$rd/tests/"; done
printf '%s\n' ${extra[@]+"${extra[@]}"} >"$rd/tests/extra"
t1=$(date +%s.%N)

note "booting $ARM64_KERNEL_ABI (TCG, virt with EL2, gic-version=3, -cpu max)"
rc=0
BOOT_KERNEL=$ARM64_KERNEL_IMAGE BOOT_BUSYBOX=$ARM64_BUSYBOX BOOT_TIMEOUT=${ARM64_TIMEOUT:-900} \
  BOOT_MEM=${ARM64_MEM:-1G} BOOT_APPEND="${ARM64_TEST_TIMEOUT:+ARM64_TEST_TIMEOUT=$ARM64_TEST_TIMEOUT}" \
  vm/boot.sh arm64 "$rd" "$top" || rc=$?
t2=$(date +%s.%N)
((rc != 124 && rc != 137)) || note "QEMU timed out after ${ARM64_TIMEOUT:-900} s"
[[ ${VM_KEEP_LOG:-0} != 1 ]] || cat "$top/console.log"
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "arm64-kmod: fetch+build+stage %.1f s, pack+QEMU run %.1f s\n", b - a, c - b }'
python3 vm/ktap_summary.py "$top/guest.ktap" || rc=1
if ((rc != 0)); then
  echo "arm64-kmod: console tail ($top/console.log):"
  tail -n 30 "$top/console.log"
  exit 1
fi
