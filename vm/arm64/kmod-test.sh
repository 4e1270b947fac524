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
#      console.log), ARM64_TIMEOUT (900 s for the QEMU run), ARM64_TEST_TIMEOUT
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

# --- the test programs: static, the same lists as vm/run.sh's ----------------
bin=$top/bin
mkdir -p "$bin"
common=(ktap genl_client stats_client module_view mini_guest host_util)
build_test() {
  local prog=$1 srcs=() f
  shift
  for f in "$@" "${common[@]}"; do srcs+=("kmod/tests/$f.c"); done
  aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -I kmod/include/uapi \
    -o "$bin/$prog.tmp" "${srcs[@]}"
  mv "$bin/$prog.tmp" "$bin/$prog"
}
build_test dirtyscope_kmod_test dirtyscope_kmod_test cases_module cases_counters \
  cases_drops cases_requests cases_permissions cases_lifecycle ring_guest owned_vm
build_test spp_kmod_test spp_kmod_test spp_cases_counts spp_cases_requests \
  spp_cases_lifecycle spp_guest spp_client
extra=()
IFS=';' read -r -a specs <<<"${ARM64_KMOD_EXTRA:-}"
for spec in ${specs[@]+"${specs[@]}"}; do
  read -r p args <<<"$spec"
  [[ -n ${p:-} ]] || continue
  case $p in
  genl_fuzz) build_test "$p" "$p" genl_fuzz_attrs genl_fuzz_shapes genl_fuzz_phase \
    kmsg_check ring_guest owned_vm ;;
  module_churn) build_test "$p" "$p" module_churn_vms module_churn_reader module_churn_load \
    kmsg_check ring_guest owned_vm ;;
  *) die "ARM64_KMOD_EXTRA: unknown program '$p' (module_churn, genl_fuzz)" ;;
  esac
  extra+=("$p${args:+ $args}")
done
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

# --- initramfs ---------------------------------------------------------------
rd=$top/initramfs
rm -rf "$rd"
mkdir -p "$rd"/{bin,sbin,proc,sys,dev,tmp,tests}
cp "$ARM64_BUSYBOX" "$rd/bin/busybox"
# Applets by name (the arm64 busybox cannot run here to list them; see
# vm/arm64/boot.sh). system() in the tests needs sh, insmod and rmmod.
for a in sh mount mkdir cut uname dmesg grep sed cat echo timeout poweroff ls \
  sleep date test '[' head tail wc env true false insmod rmmod lsmod sync; do
  ln -s busybox "$rd/bin/$a"
done
cp vm/arm64/kmod-init.sh "$rd/init"
cp vm/ktap.sh "$rd/ktap.sh"
cp "$ko" "$rd/dirtyscope.ko"
cp "$bin/dirtyscope_kmod_test" "$bin/spp_kmod_test" "$bin/kvm_caps" "$rd/tests/"
for spec in ${extra[@]+"${extra[@]}"}; do cp "$bin/${spec%% *}" "$rd/tests/"; done
printf '%s\n' ${extra[@]+"${extra[@]}"} >"$rd/tests/extra"
# The tests drop to uid 65534 and 1000; names only matter to humans.
mkdir -p "$rd/etc"
printf 'root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n' >"$rd/etc/passwd"
(cd "$rd" && find . | cpio -o -H newc --quiet) >"$top/initramfs.cpio"
t1=$(date +%s.%N)

note "booting $ARM64_KERNEL_ABI (TCG, virt with EL2, gic-version=3, -cpu max)"
console=$top/console.log
rc=0
timeout "${ARM64_TIMEOUT:-900}" qemu-system-aarch64 \
  -machine virt,virtualization=on,gic-version=3 -cpu max -accel tcg \
  -smp 1 -m "${ARM64_MEM:-1G}" -nographic -no-reboot -net none \
  -monitor none -serial "file:$console" \
  -kernel "$ARM64_KERNEL_IMAGE" -initrd "$top/initramfs.cpio" \
  -append "console=ttyAMA0 panic=-1 oops=panic" || rc=$?
t2=$(date +%s.%N)
((rc == 124)) && note "QEMU timed out after ${ARM64_TIMEOUT:-900} s"

if [[ ${VM_KEEP_LOG:-0} == 1 ]]; then cat "$console"; else
  grep -a '^ARM64: ' "$console" | sed 's/^ARM64: //' || true; fi
oks=$(grep -acE '^ARM64: ok [0-9]+ ' "$console" || true)
bad=$(grep -acE '^ARM64: not ok [0-9]+ ' "$console" || true)
# The programs' own results (indented KTAP under each step).
sub_ok=$(grep -acE '^ARM64: #   ok [0-9]+ ' "$console" || true)
sub_skip=$(grep -acE '^ARM64: #   ok [0-9]+ .*# SKIP' "$console" || true)
sub_bad=$(grep -acE '^ARM64: #   not ok [0-9]+ ' "$console" || true)
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "arm64-kmod: fetch+build+pack %.1f s, QEMU run %.1f s\n", b - a, c - b }'
echo "arm64-kmod: test programs' results: $((sub_ok - sub_skip)) passed, $sub_skip skipped, $sub_bad failed"
echo "$oks passed, $bad failed"
if ((bad > 0 || oks == 0 || rc != 0)); then
  echo "arm64-kmod: console tail ($console):"
  tail -n 30 "$console"
  exit 1
fi
