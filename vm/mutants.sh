#!/usr/bin/env bash
# `make mutants`: how well dirty_log_test detects real KVM bugs. kvm is
# rebuilt with each patch of vm/mutants/ (or the PATCHes given; vm/kvm-build.sh),
# and one VM per set (vm/run.sh) runs the module's tests and the verdict set
# (vm/verdict-set.txt); the unpatched control must pass, else nothing is
# judged. vm/mutants_report.py writes the kill table. Knobs (MUTANTS_OUT,
# MUTANTS_JOBS, MUTANTS_MEM, MIGRATE, PEER, the VM_* limits), verdicts, exit
# codes and output: docs/kernels-and-vm-harness.md, "Kernel mutants".
set -euo pipefail
WHO=mutants
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

patch_paths patch "$@"
((${#PATCHES[@]})) || PATCHES=("$ROOT"/vm/mutants/*.patch)
cd "$ROOT"
export BUILD_DIR
OUT=${MUTANTS_OUT:-$BUILD_DIR/mutants}
JOBS=${MUTANTS_JOBS:-$(nproc)}
# A mutant that wedges KVM must cost a bounded time: each program in the
# guest has a limit, and the whole boot one above their sum.
# The kernel's test (PEER=1) needs more than 60 s even at 4 iterations.
[[ ${PEER:-0} != 1 ]] || export VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-300}
export VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-60}
# A mutant can hang a module test in KVM_RUN; the limit is above the
# first run's 10 s reset flood with room for a loaded machine.
export VM_KMOD_TEST_TIMEOUT=${VM_KMOD_TEST_TIMEOUT:-60}
PEER=${PEER:-0}
DLT=$BUILD_DIR/bin/dirty_log_test
[[ -x $DLT ]] || die "$DLT not found (run make build)"
start=$SECONDS

# The verdict set's runs (label|args) and huge pages, as `make vm-test`.
# MUTANTS_MEM replaces its 16M (the odd 16396K, 16M + 3 pages, keeps its
# 3-page tail: 12K over MUTANTS_MEM).
mem=${MUTANTS_MEM:-16M}
mapfile -t CONFIGS < <(vm/verdict-set.sh configs) || die "vm/verdict-set.txt is malformed"
((${#CONFIGS[@]})) || die "vm/verdict-set.txt has no runs"
if [[ -n ${MUTANTS_MEM:-} ]]; then
  mem_kib=$(numfmt --from=iec "$MUTANTS_MEM") || die "MUTANTS_MEM: '$MUTANTS_MEM' is not a size"
  mem_kib=$((mem_kib / 1024))
  mapfile -t CONFIGS < <(printf '%s \n' "${CONFIGS[@]}" |
    sed -e "s/ -b 16M / -b ${mem_kib}K /" -e "s/ -b 16396K / -b $((mem_kib + 12))K /" -e 's/ $//')
fi
export VM_HUGEPAGES=${VM_HUGEPAGES:-$(vm/verdict-set.sh hugepages)}
vm_tests=""
for c in "${CONFIGS[@]}"; do
  vm_tests+="$DLT ${c#*|}; "
done
if [[ $PEER == 1 ]]; then
  # Renamed: the guest's /tests/ holds both programs.
  PEER_BIN=$BUILD_DIR/kvm-selftests/kvm_dirty_log_test
  vm/peer-build.sh dirty_log_test "$PEER_BIN"
  PEER_ARGS=${PEER_ARGS:-"-i 4 -I 20 -M all"}
  # Its memslot is 1 GiB + 3 pages, one mmap that a 1G guest refuses.
  export VM_MEM=${VM_MEM:-2G}
  CONFIGS+=("peer|$PEER_ARGS")
  vm_tests+="$PEER_BIN $PEER_ARGS; "
fi

if [[ ${MIGRATE:-0} == 1 ]]; then
  # dirtyscope migrate in every mode beside dirty_log_test: a kernel that
  # loses dirty pages must never let a migration end with equal checksums.
  MIGRATE_ARGS=${MIGRATE_ARGS:-"migrate -M all -b $mem -s anonymous_hugetlb --max-rounds 8 --stall-timeout 20"}
  CONFIGS+=("migrate|$MIGRATE_ARGS")
  vm_tests+="$BUILD_DIR/bin/dirtyscope $MIGRATE_ARGS; "
fi

# Three module test runs per boot (vm/init.sh): dirtyscope_kmod_test before
# and after kvm, then spp_kmod_test.
export VM_TIMEOUT=${VM_TIMEOUT:-$((60 + 3 * VM_KMOD_TEST_TIMEOUT + ${#CONFIGS[@]} * VM_TEST_TIMEOUT))}

rm -rf "$OUT"
mkdir -p "$OUT"
printf '%s\n' "${CONFIGS[@]}" >"$OUT/configs.txt"

# --- build every module set first: a broken patch stops everything early --
names=(control "${PATCHES[@]##*/}")
names=("${names[@]%.patch}")
[[ $(printf '%s\n' "${names[@]}" | sort | uniq -d) == "" ]] || die "two patches with the same name"
build_t0=$SECONDS
vm/kvm-build.sh "$OUT/control/modules"
for p in "${PATCHES[@]}"; do
  vm/kvm-build.sh "$OUT/$(basename "$p" .patch)/modules" "$p"
done
echo "mutants: built ${#names[@]} kvm module sets in $((SECONDS - build_t0)) s"

# --- boot one VM per module set, JOBS at a time ---------------------------
run_one() {
  local name=$1 dir=$OUT/$1 t0=$SECONDS rc=0
  KVM_MODULES_DIR=$dir/modules VM_OUT=$dir/vm VM_TESTS="$vm_tests" \
    vm/run.sh >"$dir/run.log" 2>&1 || rc=$?
  echo "$rc" >"$dir/run.rc"
  echo "$((SECONDS - t0))" >"$dir/seconds"
  echo "mutants: $name: VM run finished in $((SECONDS - t0)) s (exit $rc)"
}
vm_t0=$SECONDS
running=0
for name in "${names[@]}"; do
  ((running < JOBS)) || { wait -n || true; running=$((running - 1)); }
  run_one "$name" &
  running=$((running + 1))
done
wait
echo "mutants: ${#names[@]} VM runs in $((SECONDS - vm_t0)) s, total $((SECONDS - start)) s"

python3 vm/mutants_report.py "$OUT" "${names[@]}"
