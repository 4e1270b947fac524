#!/usr/bin/env bash
# The one VM runner, for both guests: x86-64 behind `make vm-test`, arm64
# (--arch arm64) behind vm/arm64/suite.sh and `make vm-arm64-kmod`. What
# differs is data (vm/arch/ARCH.conf) and a few branches below. Steps and
# knobs (KERNEL, VM_*, ARM64_*, KVM_PATCHES, KVM_MODULES_DIR):
# docs/kernels-and-vm-harness.md, "What vm/run.sh does" and "arm64".
# Usage: vm/run.sh [--arch x86_64|arm64] [--kmod] ["PROGRAM [ARGS]"...]
#   x86-64: the programs are VM_TESTS (unset: the verdict set), the module
#   suite always runs. arm64: the arguments, "=PROGRAM ARGS" must run (its
#   skip fails), "!PROGRAM ARGS[ ~ REGEX]" must fail with exit 1, its
#   output matching REGEX (a negative twin); --kmod adds the module suite.
# Every run ends with the verdict line (vm/README.md), stdout, last; exit 0
# only with PASS; bad input is one line on stderr and exit 2.
set -euo pipefail
WHO=vm-test
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
arch=x86_64
[[ ${1:-} != --arch ]] || { arch=${2:-}; shift 2 || shift; }
[[ $arch == x86_64 || $arch == arm64 ]] || die "--arch '$arch': x86_64 or arm64"
# shellcheck source=arch/x86_64.conf
. "$ROOT/vm/arch/$arch.conf"
# shellcheck disable=SC2086 # a list of paths
patch_paths KVM_PATCHES: ${KVM_PATCHES:-}
KVM_MODULES_DIR=${KVM_MODULES_DIR:+$(realpath "$KVM_MODULES_DIR")}
kmod=1
if [[ $arch == arm64 ]]; then
  kmod=0
  [[ ${1:-} != --kmod ]] || { kmod=1; shift; }
  # arm64's names of the VM_* knobs, as its docs give them.
  for k in TIMEOUT TEST_TIMEOUT MEM SMP HUGEPAGES; do
    v=ARM64_$k
    [[ -z ${!v:-} ]] || printf -v "VM_$k" %s "${!v}"
  done
  ARM64_DIR=$(abs "${ARM64_DIR:-build/arm64}") ARM64_KMOD_DIR=$(abs "${ARM64_KMOD_DIR:-build/arm64-kmod}")
  export ARM64_DIR ARM64_KMOD_DIR
  SHARED=$ARM64_DIR
  ((kmod == 0)) || SHARED=$ARM64_KMOD_DIR
  entries=("$@")
else
  (($# == 0)) || die "x86-64 takes its programs from VM_TESTS, not arguments"
  SHARED=$BUILD_DIR/vm        # module build log, static test program, BTF cache
  IFS=';' read -r -a entries <<<"${VM_TESTS:-}"
fi
VM_MODULE_SUITE=${VM_MODULE_SUITE:-1}
[[ $VM_MODULE_SUITE == [01] ]] || die "VM_MODULE_SUITE must be 0 or 1, not '$VM_MODULE_SUITE'"
cd "$ROOT"
# VM_FILES, and below the programs: checked before anything is written.
for f in ${VM_FILES:-}; do
  [[ -e $f && $f = /* ]] || die "VM_FILES: '$f' is not an existing absolute path"
done
start=$SECONDS

# --- what runs in the guest -----------------------------------------------
# x86-64 without VM_TESTS: the verdict set; its programs are judged by label.
VERDICT_SET=0
if [[ $arch == x86_64 && -z ${VM_TESTS+x} ]]; then
  VERDICT_SET=1
  DLT=$BUILD_DIR/bin/dirty_log_test
  [[ -x $DLT ]] || die "$DLT not found: the verdict set needs it (make build, or VM_TESTS=\"\" for the module suite alone)"
  configs=$(vm/verdict-set.sh configs) || exit 2
  while IFS='|' read -r label args; do set_labels+=("$label") entries+=("$DLT $args"); done <<<"$configs"
  VM_HUGEPAGES=${VM_HUGEPAGES:-$(vm/verdict-set.sh hugepages)}
  echo "vm-test: VM_TESTS not given: the dirty_log_test verdict set (${#set_labels[@]} runs, vm/verdict-set.txt)"
fi
# Each program a line of the guest's plan, "LIMIT<TAB>NAME<TAB>KIND<TAB>
# REGEX<TAB>COMMAND" (vm/guest.sh run_plan), its limit filled in below.
progs=() plan=() labels=()
for cmd in ${entries[@]+"${entries[@]}"}; do
  kind=- pattern=-
  if [[ $cmd == '!'* ]]; then kind='!'; cmd=${cmd#!}; fi
  if [[ $kind == '!' && $cmd == *' ~ '* ]]; then pattern=${cmd##* ~ }; cmd=${cmd% ~ *}; fi
  if [[ $cmd == '='* ]]; then kind='='; cmd=${cmd#=}; fi
  read -r bin args <<<"$cmd" || true
  [[ -n ${bin:-} ]] || continue
  [[ -x $bin ]] || die "program '$bin' not found or not executable"
  [[ -z $GUEST_ELF ]] || file -b "$bin" | grep -q "$GUEST_ELF" || die "'$bin' is not an $GUEST_ELF binary"
  progs+=("$bin")
  base=$(basename "$bin")
  if [[ $arch == arm64 ]]; then
    # Numbered: one program runs in several plan lines, twins among them.
    name="${#progs[@]}-$base${args:+_${args//[^A-Za-z0-9=.-]/_}}"
    case $kind in '!') name+=_must_fail ;; '=') name+=_must_run ;; esac
  else
    name="$base ${args:-}"   # as vm/init.sh names its result
  fi
  plan+=("$(printf '%s\t%s\t%s\t%s' "$name" "$kind" "$pattern" "/tests/$base${args:+ $args}")")
  # The programs the verdict line counts: the verdict set's labels, else "#N:program".
  if ((VERDICT_SET)); then labels+=("${set_labels[${#labels[@]}]}"); else labels+=("#${#progs[@]}:$base"); fi
done
# ARM64_KMOD_EXTRA: the module's own programs, run after the plan (/tests/extra).
extra=() extra_plan=()
IFS=';' read -r -a specs <<<"${ARM64_KMOD_EXTRA:-}"
for spec in ${specs[@]+"${specs[@]}"}; do
  read -r p args <<<"$spec" || true
  [[ -n ${p:-} ]] || continue
  [[ $p == module_churn || $p == genl_fuzz ]] || die "ARM64_KMOD_EXTRA: unknown program '$p' (module_churn, genl_fuzz)"
  extra+=("$p")
  extra_plan+=("$(printf '%s\t-\t-\t%s' "$p $args" "/bin/$p${args:+ $args}")")
done
mkdir -p "$SHARED"
# nothing_booted WHY: the verdict line of a run that stopped before the boot.
nothing_booted() { echo "vm-test verdict: FAIL (nothing booted: $*)"; exit 1; }

# KERNEL_* (vm/kernel.sh; exit 2 for an unknown or incomplete kernel). arm64
# KVM is built into the image, so KVM_PATCHES there rebuild the kernel
# (vm/arm64/kernel-build.sh), before the run folder exists: a patch that
# does not apply or compile leaves no run behind.
[[ $arch == x86_64 ]] || scripts/install-deps.sh arm64
KERNEL_SLOW=1 KERNEL_MEM=1G
if [[ $arch == arm64 ]] && ((${#PATCHES[@]})); then
  kernel_vars=$(vm/arm64/kernel-build.sh "${KERNEL:-debian-13-arm64}" "${PATCHES[@]}") || exit $?
  PATCHES=()
else
  headers=()
  ((kmod == 0)) || headers=(--headers)   # arm64's, for the module
  kernel_vars=$(BUILD_DIR=$BUILD_DIR vm/kernel.sh --arch "$arch" ${headers[@]+"${headers[@]}"}) || exit $?
fi
eval "$kernel_vars"
[[ $arch == arm64 || -z $KERNEL_BUSYBOX ]] || die "KERNEL=$KERNEL_NAME is the arm64 guest's kernel: make vm-test ARCH=arm64"
# Limits not given: generous for TCG (a verdict-set program, and the module
# suite beside it, is short; a VM_TESTS program may be anything; arm64's
# guest is slower), and KERNEL_SLOW times that on a kernel whose detectors
# make every program slower (vm/kernel.sh).
if [[ $arch == arm64 ]]; then test_limit=600 kmod_limit=${VM_TEST_TIMEOUT:-600}
elif ((VERDICT_SET)); then test_limit=120 kmod_limit=60
else test_limit=200 kmod_limit=120; fi
export VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-$((test_limit * KERNEL_SLOW))}
export VM_KMOD_TEST_TIMEOUT=${VM_KMOD_TEST_TIMEOUT:-$((kmod_limit * KERNEL_SLOW))}
if [[ $arch == arm64 ]]; then run_limit=$((kmod ? 900 : 600))
elif ((VERDICT_SET)); then run_limit=$((60 + 3 * VM_KMOD_TEST_TIMEOUT + ${#plan[@]} * VM_TEST_TIMEOUT))
else run_limit=$((300 * KERNEL_SLOW)); fi
VM_TIMEOUT=${VM_TIMEOUT:-$run_limit}
VM_MEM=${VM_MEM:-$KERNEL_MEM}
# --- this run's folder (vm/run-folder.sh), once the input is known good ---
# shellcheck source=run-folder.sh
. vm/run-folder.sh
run_folder "$SHARED" "${VM_OUT:-}" guest.ktap host.ktap console.log
HOST_KTAP=$OUT/host.ktap
STAGE=$OUT/initramfs
rm -rf "$STAGE" "$HOST_KTAP"
mkdir -p "$STAGE"/{bin,tests,etc}

# --- build: the module for the guest's ABI, its test programs, kvm_caps ---
# Under a lock: parallel runs (make mutants, two make vm-test) share them.
exec 8>"$SHARED/.build.lock"
lock 8 "another run's build (lock ${SHARED#"$ROOT"/}/.build.lock)"
if ((kmod)); then
  # One object folder per kernel (the default kernel's where `make kmod` has
  # it); arm64's apart, as a kernel built from source is 7.2.13 on both.
  KMOD_BUILD=$BUILD_DIR/kernels/kmod-$KERNEL_ABI KMOD_ARGS=("${KMOD_CROSS[@]}")
  [[ $arch == x86_64 ]] || KMOD_BUILD=$SHARED/kmod-$KERNEL_ABI
  [[ $KERNEL_NAME != debian-6.1 ]] || KMOD_BUILD=$BUILD_DIR/kmod
  # Headers that ship vmlinux make Kbuild write the module's own BTF, which
  # the probes do not need: skipped when this host's pahole cannot.
  btf=$(btf_args "$KERNEL_CONFIG")
  [[ -z $btf ]] || KMOD_ARGS+=("$btf")
  # A kernel built by a compiler the host lacks (7.x: gcc-16) gets its module
  # built in a private sid root (vm/toolchain.sh; created once, cached),
  # whose glibc the amd64 kbuild tools of arm64's headers need too.
  # Debian 13's arm64 6.12 (gcc-14) builds with bookworm's cross gcc-12 and
  # one flag turned into the kernel's own fallback (docs: "dirtyscope.ko on arm64").
  TOOLCHAIN=''
  if [[ $arch == arm64 && $KERNEL_NAME == debian-13-arm64 ]]; then
    KMOD_ARGS+=(CC=aarch64-linux-gnu-gcc CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=)
  else
    TOOLCHAIN=$(BUILD_DIR=$BUILD_DIR vm/toolchain.sh root "$KERNEL_CONFIG" ${TOOLCHAIN_CROSS_PKG[@]+"${TOOLCHAIN_CROSS_PKG[@]}"}) ||
      nothing_booted "no compiler for $KERNEL_ABI, see vm/toolchain.sh"
    [[ $arch == x86_64 || -n $TOOLCHAIN ]] || die "no private toolchain for $KERNEL_ABI (its .config names no gcc-N the host lacks)"
  fi
  if [[ -n $TOOLCHAIN ]]; then
    cc=$(kernel_cc "$KERNEL_CONFIG")
    KMOD_ARGS+=(KMOD_WRAP="env BUILD_DIR=$BUILD_DIR $ROOT/vm/toolchain.sh run $TOOLCHAIN")
    [[ $arch == x86_64 ]] || KMOD_ARGS+=(CC="$cc")
    tc_version=$(BUILD_DIR=$BUILD_DIR vm/toolchain.sh run "$TOOLCHAIN" "$cc" --version | head -n1) || true
  fi
  make --no-print-directory -C "$ROOT" kmod KDIR="$KERNEL_KDIR" KMOD_BUILD="$KMOD_BUILD" \
    BUILD_DIR="$BUILD_DIR" ${KMOD_ARGS[@]+"${KMOD_ARGS[@]}"} >"$SHARED/kmod-build.log" 2>&1 || {
    cat "$SHARED/kmod-build.log" >&2; note "module build failed ($KERNEL_KDIR)"
    nothing_booted "dirtyscope.ko did not build against $KERNEL_KDIR"; }
  [[ -z $TOOLCHAIN ]] || echo "vm-test: module built in a private toolchain: $TOOLCHAIN: $tc_version"
  KO=$KMOD_BUILD/dirtyscope.ko
  if [[ $arch == arm64 ]]; then
    vermagic=$(modinfo -F vermagic "$KO" 2>/dev/null || strings "$KO" | sed -n 's/^vermagic=//p')
    [[ $vermagic == "$KERNEL_ABI "* ]] || nothing_booted "vermagic '$vermagic' is not $KERNEL_ABI"
    # gcc 12's -falign-functions=8 skips cold (__init) functions, and ftrace's
    # per-call-site ops pointer before each function needs 8-byte alignment.
    misaligned=$(aarch64-linux-gnu-nm "$KO" | while read -r addr type name; do
      [[ $type == [tT] && $((16#$addr % 8)) -ne 0 ]] && echo "$name"; done || true)
    [[ -z $misaligned ]] || nothing_booted "functions not 8-byte aligned: $misaligned"
  fi
  # KVM on PREEMPT_RT refuses to load without a constant TSC, which TCG
  # cannot advertise: kmod/tests/tcg-tsc/ marks it (init.sh loads it).
  if [[ $arch == x86_64 ]] && grep -q '^CONFIG_PREEMPT_RT=y' "$KERNEL_CONFIG"; then
    tsc_build=$BUILD_DIR/kernels/tcg-tsc-$KERNEL_ABI
    mkdir -p "$tsc_build" && cp -a kmod/tests/tcg-tsc/. "$tsc_build/"
    ${TOOLCHAIN:+env BUILD_DIR=$BUILD_DIR vm/toolchain.sh run "$TOOLCHAIN"} \
      make -C "$KERNEL_KDIR" M="$tsc_build" modules >"$SHARED/tcg-tsc-build.log" 2>&1 || {
      cat "$SHARED/tcg-tsc-build.log" >&2; nothing_booted "kmod/tests/tcg-tsc did not build against $KERNEL_KDIR"; }
    cp "$tsc_build/tcg_constant_tsc.ko" "$STAGE/"
  fi
  kmod/tests/build.sh "$GUEST_CC" "$SHARED" dirtyscope_kmod_test spp_kmod_test ${extra[@]+"${extra[@]}"}
  for p in dirtyscope_kmod_test spp_kmod_test ${extra[@]+"${extra[@]}"}; do cp "$SHARED/$p" "$STAGE/bin/"; done
fi
# What the guest kernel's KVM offers (KTAP diagnostics in the report).
if [[ ! $SHARED/kvm_caps -nt vm/kvm_caps.c || ! $SHARED/kvm_caps -nt lib/include/dirtyscope/kvm_dirty_abi.h ]]; then
  "$GUEST_CC" -static -O2 -Wall -Wextra -Werror -I lib/include -o "$SHARED/kvm_caps.tmp" vm/kvm_caps.c
  mv "$SHARED/kvm_caps.tmp" "$SHARED/kvm_caps"
fi
cp "$SHARED/kvm_caps" "$STAGE/bin/"

# --- kvm modules rebuilt with KVM_PATCHES (x86-64: KVM is a module) -------
if ((${#PATCHES[@]})); then
  KVM_MODULES_DIR=$OUT/kvm-modules
  rm -rf "$KVM_MODULES_DIR"
  BUILD_DIR=$BUILD_DIR KERNEL=$KERNEL_NAME vm/kvm-build.sh "$KVM_MODULES_DIR" "${PATCHES[@]}"
fi
if [[ -n $KVM_MODULES_DIR ]]; then
  for m in kvm kvm-amd; do
    [[ -f $KVM_MODULES_DIR/$m.ko ]] || die "$KVM_MODULES_DIR/$m.ko missing"
  done
  kvm_patch_list=$(awk '{ print $1 }' "$KVM_MODULES_DIR/patches.txt" 2>/dev/null | paste -sd' ')
  echo "vm-test: kvm modules rebuilt from linux-source with patches: ${kvm_patch_list:-none}"
  # The guest's KTAP names the kvm patches the modules were built with.
  cp "$KVM_MODULES_DIR/patches.txt" "$STAGE/etc/kvm_patches"
fi

# --- host check: probe prototypes against the kernel's BTF (vmlinux, kvm.ko):
# a mismatch is refused before the module ever loads (dkms runs it too).
proto_ok=0
if ((kmod)); then
  kvm_ko=$(find "$KERNEL_MODDIR/kernel/arch/x86/kvm" -name 'kvm.ko*' 2>/dev/null | head -n1 || true)
  image=$KERNEL_IMAGE
  # The arm64 image is compressed without its BTF's symbols; the headers' vmlinux has them.
  [[ $arch == x86_64 ]] || image=$KERNEL_KDIR/vmlinux
  {
    echo "KTAP version 1"
    echo "1..1"
    echo "# kernel: $KERNEL_NAME ($KERNEL_ABI${KERNEL_VERSION:+, Debian $KERNEL_VERSION}), image $KERNEL_IMAGE"
    [[ -z $KVM_MODULES_DIR ]] ||
      echo "# kvm modules: rebuilt from linux-source, patches: $(paste -sd, "$KVM_MODULES_DIR/patches.txt" | sed 's/,/, /g')"
    out=$(kmod/check-prototypes.sh --image "$image" ${kvm_ko:+--kvm-ko "$kvm_ko"} --expected "$PROTOTYPES" \
      --cache "$SHARED" 2>&1) || proto_ok=$?
    echo "$out" | sed 's/^/# /'
    echo "$( ((proto_ok)) && echo 'not ')ok 1 host: probe prototypes match BTF of $KERNEL_ABI (vmlinux${kvm_ko:+ + kvm.ko})"
  } >"$HOST_KTAP"
  # Parallel runs for other kernels rebuild $KMOD_BUILD: take this one's copy.
  cp "$KO" "$STAGE/dirtyscope.ko"
fi
flock -u 8
if ((proto_ok != 0)); then
  python3 vm/ktap_summary.py "$HOST_KTAP" || true
  grep -E 'MISMATCH|check-prototypes:' "$HOST_KTAP" | sed 's/^# //' >&2
  rm -f "$STAGE/dirtyscope.ko"
  ((proto_ok != 1)) || { note "refusing to load dirtyscope.ko into $KERNEL_ABI: probe prototypes do not match its BTF"
    nothing_booted "probe prototypes do not match the BTF of $KERNEL_ABI"; }
  # Not a mismatch: nothing was compared (no BTF, or BTF nobody here can read).
  note "could not check dirtyscope.ko's probe prototypes against $KERNEL_ABI; DIRTYSCOPE_SKIP_BTF_CHECK=1 loads it unchecked"
  nothing_booted "could not check probe prototypes against $KERNEL_ABI"
fi

# --- initramfs ----------------------------------------------------------
cp vm/init.sh "$STAGE/init"
# x86-64: only what the guest loads, kvm_amd (TCG emulates SVM), as a
# module with every module it depends on (modules.dep lists them all), or
# built in (a tree built without CONFIG_KVM_INTEL is fine). arm64's KVM is
# built into the image.
if [[ $arch == x86_64 ]]; then
  mkdir -p "$STAGE/lib/modules/$KERNEL_ABI"
  rels=$(awk -F': *' '$1 ~ /\/kvm-amd\.ko(\.xz|\.zst|\.gz)?$/ { print $1, $2; exit }' "$KERNEL_MODDIR/modules.dep")
  [[ -n $rels ]] || grep -qE "/kvm-amd\.ko$" "$KERNEL_MODDIR/modules.builtin" 2>/dev/null ||
    die "the kernel has no kvm_amd (CONFIG_KVM_AMD, as a module or built in): the guest runs KVM on TCG's emulated SVM"
  for rel in $rels; do
    dst=$STAGE/lib/modules/$KERNEL_ABI/${rel%.ko*}.ko
    mkdir -p "$(dirname "$dst")"
    case $rel in
    *.ko.xz) xz -dc ;;
    *.ko.zst) zstd -qdc ;;
    *.ko.gz) gzip -dc ;;
    *) cat ;;
    esac <"$KERNEL_MODDIR/$rel" >"$dst"
    # Rebuilt kvm modules replace the image's (their dependencies stay).
    base=$(basename "$dst" .ko)
    if [[ -n $KVM_MODULES_DIR && $base =~ ^(kvm|kvm-amd|kvm-intel)$ ]]; then
      cp "$KVM_MODULES_DIR/$base.ko" "$dst"
    fi
  done
  cp "$KERNEL_MODDIR"/modules.{order,builtin} "$STAGE/lib/modules/$KERNEL_ABI/" 2>/dev/null || true
  depmod -b "$STAGE" "$KERNEL_ABI"
fi

# The plan's programs with their shared libraries and the dynamic loader.
libdirs=()
# stage_libs FILE: the libraries ldd names for FILE, at their host paths.
stage_libs() {
  local lib
  while read -r lib; do
    [[ -f $lib ]] || continue
    mkdir -p "$STAGE$(dirname "$lib")"
    cp -L "$lib" "$STAGE$lib"
    libdirs+=("$(dirname "$lib")")
  done < <(ldd "$1" 2>/dev/null | grep -oE '/[^ ]+' || true)
}
# The programs the verdict line counts: "LABEL<TAB>NAME", NAME as the plan
# names its result.
PROGRAMS=$OUT/programs.list
: >"$PROGRAMS"
for i in "${!plan[@]}"; do
  cp -L "${progs[i]}" "$STAGE/tests/"
  stage_libs "${progs[i]}"
  printf '%s\t%s\n' "${labels[i]}" "${plan[i]%%$'\t'*}" >>"$PROGRAMS"
done
# Both plans (an empty one too: init.sh counts their lines), each line with its limit.
printf '%s\n' ${plan[@]+"${plan[@]/#/$VM_TEST_TIMEOUT$'\t'}"} >"$STAGE/tests/plan"
printf '%s\n' ${extra_plan[@]+"${extra_plan[@]/#/$VM_TEST_TIMEOUT$'\t'}"} >"$STAGE/tests/extra"
# VM_FILES: staged at their host paths; executables with their libraries.
for f in ${VM_FILES:-}; do
  mkdir -p "$STAGE$(dirname "$f")"
  cp -aL "$f" "$STAGE$f"
  [[ ! -f $f || ! -x $f ]] || stage_libs "$f"
done
((${#libdirs[@]} == 0)) || printf '%s\n' "${libdirs[@]}" | sort -u | paste -sd: >"$STAGE/etc/ld_library_path"

# VM_STAGE_DIR: a kselftest tree (make kselftest-install), run by init.sh.
if [[ -n ${VM_STAGE_DIR:-} ]]; then
  [[ -f $VM_STAGE_DIR/run_kselftest.sh ]] ||
    die "VM_STAGE_DIR '$VM_STAGE_DIR' has no run_kselftest.sh"
  cp -a "$VM_STAGE_DIR" "$STAGE/kselftest"
fi

echo "vm-test: built in $((SECONDS - start)) s; booting $KERNEL_ABI under QEMU/TCG (timeout ${VM_TIMEOUT}s)"

# --- boot ---------------------------------------------------------------
CONSOLE=$OUT/console.log
KTAP=$OUT/guest.ktap
boot=$SECONDS
qemu_rc=0
BOOT_KERNEL=$KERNEL_IMAGE BOOT_BUSYBOX=${KERNEL_BUSYBOX:-} BOOT_TIMEOUT=$VM_TIMEOUT BOOT_MEM=$VM_MEM BOOT_SMP=${VM_SMP:-1} \
  BOOT_APPEND="VM_MODULE_SUITE=$VM_MODULE_SUITE${VM_HUGEPAGES:+ hugepages=$VM_HUGEPAGES} VM_TEST_TIMEOUT=$VM_TEST_TIMEOUT VM_KMOD_TEST_TIMEOUT=$VM_KMOD_TEST_TIMEOUT" \
  vm/boot.sh "$arch" "$STAGE" "$OUT" || qemu_rc=$?
echo "vm-test: guest ran $((SECONDS - boot)) s (qemu exit $qemu_rc), total $((SECONDS - start)) s"

rc=0
why=""
COUNTS=$OUT/verdict-counts.sh
ktaps=("$KTAP")
[[ ! -f $HOST_KTAP ]] || ktaps=("$HOST_KTAP" "$KTAP")
python3 vm/ktap_summary.py --programs "$PROGRAMS" --counts "$COUNTS" "${ktaps[@]}" || rc=$?
if ((qemu_rc == 124)); then
  why="QEMU timed out after ${VM_TIMEOUT}s"
elif ((qemu_rc != 0)); then
  why="QEMU exited with $qemu_rc"
  # Over 128: a signal from outside this run killed it (its own limit is
  # 124); SIGKILL is what the OOM killer sends.
  if ((qemu_rc > 128)); then
    sig=$(kill -l $((qemu_rc - 128)) 2>/dev/null) && sig=SIG$sig || sig="signal $((qemu_rc - 128))"
    why+=" (killed by $sig from outside this run)"
  fi
fi
[[ -z $why ]] || { note "$why"; rc=1; }
if ((rc != 0)) || [[ ${VM_KEEP_LOG:-0} == 1 ]]; then
  # Up to the SysRq dump a stuck guest was made to print (vm/boot.sh), then
  # its digest.
  echo "---- guest console (last 60 lines of $CONSOLE) ----" >&2
  sed '/sysrq: Show backtrace of all active CPUs/,$d' "$CONSOLE" | tail -n 60 >&2 || true
  if [[ -s $OUT/stuck.txt ]]; then
    echo "---- what the guest was doing at the limit ($OUT/stuck.txt) ----" >&2
    cat "$OUT/stuck.txt" >&2
  fi
fi

# --- the verdict line: last, one line, stable for grep ---------------------
# A program passes only with exit 0: a skipped or missing run proves
# nothing, so it fails the verdict as a failed one does.
programs_total=0 programs_passed=0 programs_failed='' programs_skipped='' programs_missing=''
suite_passed=0 suite_failed=0 suite_skipped=0
# shellcheck disable=SC1090 # written by ktap_summary.py just above
[[ -f $COUNTS ]] && . "$COUNTS"
((programs_passed == programs_total)) || rc=1
# A debug kernel (lockdep, KASAN or kmemleak built in, KERNEL=debug): its
# detectors' reports in the console log, counted per detector; any fails.
debug_line=""
if grep -qE '^CONFIG_(PROVE_LOCKING|KASAN|DEBUG_KMEMLEAK)=y' "$KERNEL_CONFIG" 2>/dev/null; then
  reports=$(python3 vm/debug_reports.py "$CONSOLE") || rc=1
  echo "$reports"
  debug_line=$(head -n1 <<<"$reports")
fi
what=VM_TESTS
((VERDICT_SET)) && what="dirty_log_test verdict set"
[[ $arch == x86_64 ]] || what="arm64 programs"
detail="$what: $programs_passed/$programs_total passed"
[[ -n $programs_failed ]] && detail+=", failed: $programs_failed"
[[ -n $programs_skipped ]] && detail+=", skipped: $programs_skipped"
[[ -n $programs_missing ]] && detail+=", no result: $programs_missing"
detail+="; module suite: $suite_passed passed, $suite_failed failed, $suite_skipped skipped"
[[ -n $debug_line ]] && detail+="; $debug_line"
[[ -n $why ]] && detail+="; $why"
echo "vm-test verdict: $( ((rc == 0)) && echo PASS || echo FAIL) ($detail)"
exit "$rc"
