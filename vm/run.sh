#!/usr/bin/env bash
# The x86-64 runner behind `make vm-test` (vm/README.md): its steps and knobs
# (KERNEL, VM_*, KVM_PATCHES, KVM_MODULES_DIR): docs/kernels-and-vm-harness.md,
# "What vm/run.sh does". Every run ends with the verdict line (vm/README.md),
# stdout, last; exit 0 only with PASS; bad input is one line on stderr and exit 2.
set -euo pipefail
WHO=vm-test
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2086 # a list of paths
patch_paths KVM_PATCHES: ${KVM_PATCHES:-}
KVM_MODULES_DIR=${KVM_MODULES_DIR:+$(realpath "$KVM_MODULES_DIR")}
VM_MODULE_SUITE=${VM_MODULE_SUITE:-1}
[[ $VM_MODULE_SUITE == [01] ]] || die "VM_MODULE_SUITE must be 0 or 1, not '$VM_MODULE_SUITE'"
cd "$ROOT"
# VM_FILES, and below VM_TESTS' binaries: checked before anything is written.
for f in ${VM_FILES:-}; do
  [[ -e $f && $f = /* ]] || die "VM_FILES: '$f' is not an existing absolute path"
done
start=$SECONDS

# --- what runs in the guest -----------------------------------------------
# VM_TESTS unset: the verdict set; its programs are judged by label.
VERDICT_SET=0
if [[ -z ${VM_TESTS+x} ]]; then
  VERDICT_SET=1
  DLT=$BUILD_DIR/bin/dirty_log_test
  [[ -x $DLT ]] || die "$DLT not found: the verdict set needs it (make build, or VM_TESTS=\"\" for the module suite alone)"
  VM_TESTS=$(vm/verdict-set.sh vm-tests "$DLT") || exit 2
  VM_HUGEPAGES=${VM_HUGEPAGES:-$(vm/verdict-set.sh hugepages)}
  nset=$(vm/verdict-set.sh configs | wc -l)
  echo "vm-test: VM_TESTS not given: the dirty_log_test verdict set ($nset runs, vm/verdict-set.txt)"
fi
VM_TESTS_ENTRIES=()
IFS=';' read -r -a entries <<<"${VM_TESTS:-}"
for entry in ${entries[@]+"${entries[@]}"}; do
  read -r bin _ <<<"$entry" || true
  [[ -n ${bin:-} ]] || continue
  [[ -x $bin ]] || die "VM_TESTS binary '$bin' not found or not executable"
  VM_TESTS_ENTRIES+=("$entry")
done
SHARED=$BUILD_DIR/vm        # module build log, static test program, BTF cache
mkdir -p "$SHARED"
# nothing_booted WHY: the verdict line of a run that stopped before the boot.
nothing_booted() { echo "vm-test verdict: FAIL (nothing booted: $*)"; exit 1; }

# KERNEL_* (vm/kernel.sh; exit 2 for an unknown or incomplete kernel).
KERNEL_SLOW=1 KERNEL_MEM=1G
kernel_vars=$(BUILD_DIR=$BUILD_DIR vm/kernel.sh) || exit $?
eval "$kernel_vars"
# Limits not given: generous for TCG (a verdict-set program, and the module
# suite beside it, is short; a VM_TESTS program may be anything), and
# KERNEL_SLOW times that on a kernel whose detectors make every program
# slower (vm/kernel.sh).
if ((VERDICT_SET)); then test_limit=120 kmod_limit=60; else test_limit=200 kmod_limit=120; fi
export VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-$((test_limit * KERNEL_SLOW))}
export VM_KMOD_TEST_TIMEOUT=${VM_KMOD_TEST_TIMEOUT:-$((kmod_limit * KERNEL_SLOW))}
((VERDICT_SET == 0)) || VM_TIMEOUT=${VM_TIMEOUT:-$((60 + 3 * VM_KMOD_TEST_TIMEOUT + nset * VM_TEST_TIMEOUT))}
VM_TIMEOUT=${VM_TIMEOUT:-$((300 * KERNEL_SLOW))}
VM_MEM=${VM_MEM:-$KERNEL_MEM}
[[ -z $KERNEL_BUSYBOX ]] || die "KERNEL=$KERNEL_NAME is the arm64 guest's kernel: make vm-test ARCH=arm64"
# The default kernel's module is built where it always was.
KMOD_BUILD=$BUILD_DIR/kmod
KMOD_ARGS=()
if [[ $KERNEL_NAME != debian-6.1 ]]; then
  KMOD_BUILD=$BUILD_DIR/kernels/kmod-$KERNEL_ABI
  # Later headers ship vmlinux, so Kbuild would make the module's own BTF,
  # which the probes do not need: skipped when this host's pahole cannot.
  btf=$(btf_args "$KERNEL_CONFIG")
  [[ -z $btf ]] || KMOD_ARGS+=("$btf")
fi
# --- this run's folder (vm/run-folder.sh), once the input is known good ---
# shellcheck source=run-folder.sh
. vm/run-folder.sh
run_folder "$SHARED" "${VM_OUT:-}" guest.ktap host.ktap console.log
HOST_KTAP=$OUT/host.ktap
: >"$HOST_KTAP"

# --- build: the module for the guest's ABI, the static test program -------
# Under a lock: parallel runs (make mutants, two make vm-test) share them.
exec 8>"$SHARED/.build.lock"
lock 8 "another run's build (lock ${SHARED#"$ROOT"/}/.build.lock)"
# A kernel built by a compiler the host lacks (7.x: gcc-16) gets its module
# built in a private sid root (vm/toolchain.sh; created once, cached).
TOOLCHAIN=$(BUILD_DIR=$BUILD_DIR vm/toolchain.sh root "$KERNEL_CONFIG") ||
  nothing_booted "no compiler for $KERNEL_ABI, see vm/toolchain.sh"
if [[ -n $TOOLCHAIN ]]; then
  KMOD_ARGS+=(KMOD_WRAP="env BUILD_DIR=$BUILD_DIR $ROOT/vm/toolchain.sh run $TOOLCHAIN")
  tc_version=$(BUILD_DIR=$BUILD_DIR vm/toolchain.sh run "$TOOLCHAIN" "$(kernel_cc "$KERNEL_CONFIG")" --version | head -n1) || true
fi
make --no-print-directory -C "$ROOT" kmod KDIR="$KERNEL_KDIR" KMOD_BUILD="$KMOD_BUILD" \
  BUILD_DIR="$BUILD_DIR" ${KMOD_ARGS[@]+"${KMOD_ARGS[@]}"} >"$SHARED/kmod-build.log" 2>&1 || {
  cat "$SHARED/kmod-build.log" >&2; note "module build failed ($KERNEL_KDIR)"
  nothing_booted "dirtyscope.ko did not build against $KERNEL_KDIR"; }
[[ -z $TOOLCHAIN ]] || echo "vm-test: module built in a private toolchain: $TOOLCHAIN: $tc_version"
KO=$KMOD_BUILD/dirtyscope.ko
# KVM on PREEMPT_RT refuses to load without a constant TSC, which TCG
# cannot advertise: kmod/tests/tcg-tsc/ marks it (init.sh loads it).
TSC_KO=''
if grep -q '^CONFIG_PREEMPT_RT=y' "$KERNEL_CONFIG"; then
  tsc_build=$BUILD_DIR/kernels/tcg-tsc-$KERNEL_ABI
  mkdir -p "$tsc_build" && cp -a kmod/tests/tcg-tsc/. "$tsc_build/"
  ${TOOLCHAIN:+env BUILD_DIR=$BUILD_DIR vm/toolchain.sh run "$TOOLCHAIN"} \
    make -C "$KERNEL_KDIR" M="$tsc_build" modules >"$SHARED/tcg-tsc-build.log" 2>&1 || {
    cat "$SHARED/tcg-tsc-build.log" >&2; nothing_booted "kmod/tests/tcg-tsc did not build against $KERNEL_KDIR"; }
  TSC_KO=$tsc_build/tcg_constant_tsc.ko
fi
kmod/tests/build.sh gcc "$SHARED" dirtyscope_kmod_test spp_kmod_test
# What the guest kernel's KVM offers (KTAP diagnostics in the report).
if [[ ! $SHARED/kvm_caps -nt vm/kvm_caps.c || ! $SHARED/kvm_caps -nt lib/include/dirtyscope/kvm_dirty_abi.h ]]; then
  gcc -static -O2 -Wall -Wextra -Werror -I lib/include -o "$SHARED/kvm_caps.tmp" vm/kvm_caps.c
  mv "$SHARED/kvm_caps.tmp" "$SHARED/kvm_caps"
fi

# --- kvm modules rebuilt with KVM_PATCHES -------------------------------
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
fi

# --- host check: probe prototypes against the kernel's BTF (vmlinux, kvm.ko):
# a mismatch is refused before the module ever loads (dkms runs it too).
proto_ok=0
kvm_ko=$(find "$KERNEL_MODDIR/kernel/arch/x86/kvm" -name 'kvm.ko*' 2>/dev/null | head -n1 || true)
{
  echo "KTAP version 1"
  echo "1..1"
  echo "# kernel: $KERNEL_NAME ($KERNEL_ABI${KERNEL_VERSION:+, Debian $KERNEL_VERSION}), image $KERNEL_IMAGE"
  [[ -z $KVM_MODULES_DIR ]] ||
    echo "# kvm modules: rebuilt from linux-source, patches: $(paste -sd, "$KVM_MODULES_DIR/patches.txt" | sed 's/,/, /g')"
  out=$(kmod/check-prototypes.sh --image "$KERNEL_IMAGE" ${kvm_ko:+--kvm-ko "$kvm_ko"} --cache "$SHARED" 2>&1) || proto_ok=$?
  echo "$out" | sed 's/^/# /'
  echo "$( ((proto_ok)) && echo 'not ')ok 1 host: probe prototypes match BTF of $KERNEL_ABI (vmlinux + kvm.ko)"
} >"$HOST_KTAP"
# Parallel runs for other kernels rebuild $KMOD_BUILD: take this one's copy.
cp "$KO" "$OUT/dirtyscope.ko.tmp"
KO=$OUT/dirtyscope.ko.tmp
flock -u 8
if ((proto_ok != 0)); then
  python3 vm/ktap_summary.py "$HOST_KTAP" || true
  grep -E 'MISMATCH|check-prototypes:' "$HOST_KTAP" | sed 's/^# //' >&2
  rm -f "$KO"
  ((proto_ok != 1)) || { note "refusing to load dirtyscope.ko into $KERNEL_ABI: probe prototypes do not match its BTF"
    nothing_booted "probe prototypes do not match the BTF of $KERNEL_ABI"; }
  # Not a mismatch: nothing was compared (no BTF, or BTF nobody here can read).
  note "could not check dirtyscope.ko's probe prototypes against $KERNEL_ABI; DIRTYSCOPE_SKIP_BTF_CHECK=1 loads it unchecked"
  nothing_booted "could not check probe prototypes against $KERNEL_ABI"
fi

# --- initramfs ----------------------------------------------------------
STAGE=$OUT/initramfs
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,tests,etc} "$STAGE/lib/modules/$KERNEL_ABI"
cp vm/init.sh "$STAGE/init"
mv "$KO" "$STAGE/dirtyscope.ko"
[[ -z $TSC_KO ]] || cp "$TSC_KO" "$STAGE/"
cp "$SHARED/dirtyscope_kmod_test" "$SHARED/spp_kmod_test" "$SHARED/kvm_caps" "$STAGE/bin/"
# The guest's KTAP names the kvm patches the modules were built with.
[[ -z $KVM_MODULES_DIR ]] || cp "$KVM_MODULES_DIR/patches.txt" "$STAGE/etc/kvm_patches"

# Only what the guest loads: kvm_amd (TCG emulates SVM), as a module with
# every module it depends on (modules.dep lists them all), or built in (a
# tree built without CONFIG_KVM_INTEL is fine).
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

# Extra test binaries with their shared libraries and the dynamic loader.
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
# The programs the verdict line counts: "LABEL<TAB>NAME", NAME as init.sh
# names its result (labels: the verdict set's, else "#N:program").
PROGRAMS=$OUT/programs.list
: >"$PROGRAMS"
((VERDICT_SET == 0)) || mapfile -t set_labels < <(vm/verdict-set.sh configs | cut -d'|' -f1)
nprog=0
for entry in ${VM_TESTS_ENTRIES[@]+"${VM_TESTS_ENTRIES[@]}"}; do
  read -r bin args <<<"$entry" || true
  cp -L "$bin" "$STAGE/tests/"
  name="$(basename "$bin") ${args:-}"
  # The plan's line (vm/guest.sh run_plan): limit, name, no expectation.
  printf '%s\t%s\t-\t-\t%s\n' "$VM_TEST_TIMEOUT" "$name" "/tests/$name" >>"$STAGE/tests/plan"
  if ((VERDICT_SET)); then label=${set_labels[nprog]}; else label="#$((nprog + 1)):$(basename "$bin")"; fi
  printf '%s\t%s\n' "$label" "$name" >>"$PROGRAMS"
  nprog=$((nprog + 1))
  stage_libs "$bin"
done
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
BOOT_KERNEL=$KERNEL_IMAGE BOOT_TIMEOUT=$VM_TIMEOUT BOOT_MEM=$VM_MEM BOOT_SMP=${VM_SMP:-1} \
  BOOT_APPEND="VM_MODULE_SUITE=$VM_MODULE_SUITE${VM_HUGEPAGES:+ hugepages=$VM_HUGEPAGES} VM_TEST_TIMEOUT=$VM_TEST_TIMEOUT VM_KMOD_TEST_TIMEOUT=$VM_KMOD_TEST_TIMEOUT" \
  vm/boot.sh x86_64 "$STAGE" "$OUT" || qemu_rc=$?
echo "vm-test: guest ran $((SECONDS - boot)) s (qemu exit $qemu_rc), total $((SECONDS - start)) s"

rc=0
why=""
COUNTS=$OUT/verdict-counts.sh
python3 vm/ktap_summary.py --programs "$PROGRAMS" --counts "$COUNTS" "$HOST_KTAP" "$KTAP" || rc=$?
if ((qemu_rc == 124 || qemu_rc == 137)); then
  why="QEMU timed out after ${VM_TIMEOUT}s"
elif ((qemu_rc != 0)); then
  why="QEMU exited with $qemu_rc"
fi
[[ -z $why ]] || { note "$why"; rc=1; }
if ((rc != 0)) || [[ ${VM_KEEP_LOG:-0} == 1 ]]; then
  echo "---- guest console (last 60 lines of $CONSOLE) ----" >&2
  tail -n 60 "$CONSOLE" >&2 || true
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
detail="$what: $programs_passed/$programs_total passed"
[[ -n $programs_failed ]] && detail+=", failed: $programs_failed"
[[ -n $programs_skipped ]] && detail+=", skipped: $programs_skipped"
[[ -n $programs_missing ]] && detail+=", no result: $programs_missing"
detail+="; module suite: $suite_passed passed, $suite_failed failed, $suite_skipped skipped"
[[ -n $debug_line ]] && detail+="; $debug_line"
[[ -n $why ]] && detail+="; $why"
echo "vm-test verdict: $( ((rc == 0)) && echo PASS || echo FAIL) ($detail)"
exit "$rc"
