# Sourced by the benchmarks that run their measurements as programs
# (bench/compare.sh, bench/ring-share.sh, bench/scale.sh).
# run_programs OUT CMD...: each CMD (words; @JSON@ is its JSON's path) one
# program, in turn: here where /dev/kvm exists, else in the nested VM
# (vm/run.sh, with the caller's BUILD_DIR and VM_* environment). Sets PROGS,
# the folder of each program's files (read with bench/vm_results.py);
# OUT/runs.log gets their output (in the VM: the guest's KTAP).
run_programs() {
  local out=$1
  shift
  if [[ -c /dev/kvm ]]; then
    PROGS=$out/programs
    rm -rf "$PROGS"
    python3 bench/vm_results.py run "$PROGS" "$@" >"$out/runs.log" 2>&1 || echo "   (a run failed: see $out/runs.log)"
  else
    PROGS=$out/vm/programs
    VM_MODULE_SUITE=0 VM_OUT="$out/vm" VM_TESTS="$(printf '%s;' "$@")" vm/run.sh >"$out/vm.log" 2>&1 ||
      echo "   (the VM run reported failures: see $out/vm.log)"
    cp "$out/vm/guest.ktap" "$out/runs.log"
  fi
}
