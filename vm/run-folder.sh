# Each run's own output folder, for the runner (vm/run.sh sources it
# after vm/lib.sh).
# run_folder BASE FIXED FILE...: sets OUT, FIXED (VM_OUT) if given,
#   else BASE/runs/<UTC time>-<pid>/ with BASE/latest (swapped at once) and
#   BASE/FILE... pointing into it; the newest VM_KEEP_RUNS (5) are kept.
# The folder's lock is held on fd 7 for the whole run: pruning skips
# folders in use, and a second run given the same FIXED folder waits.
# Bad VM_KEEP_RUNS: exit 2, nothing made.
run_folder() {
  local base=$1 fixed=$2 keep=${VM_KEEP_RUNS:-5} id f d old
  shift 2
  [[ $keep =~ ^[0-9]+$ ]] || die "VM_KEEP_RUNS must be a number, not '$keep'"
  if [[ -n $fixed ]]; then
    OUT=$fixed
    [[ $OUT = /* ]] || OUT=$ROOT/$OUT
    mkdir -p "$OUT"
  else
    id=$(date -u +%Y%m%dT%H%M%SZ)-$$
    OUT=$base/runs/$id
    mkdir -p "$OUT"
    ln -sfn "runs/$id" "$base/.latest.$$" && mv -Tf "$base/.latest.$$" "$base/latest"
    for f in "$@"; do
      [[ -L $base/$f || ! -e $base/$f ]] || rm -f "$base/$f"
      [[ -L $base/$f ]] || ln -s "latest/$f" "$base/$f"
    done
    echo "$WHO: output in ${OUT#"$ROOT"/} (also ${base#"$ROOT"/}/latest)"
  fi
  exec 7>"$OUT/.run.lock"
  lock 7 "another run using ${OUT#"$ROOT"/} to finish"
  [[ -z $fixed ]] || return 0
  # Oldest first; never this run, never one whose lock is held.
  mapfile -t old < <(find "$base/runs" -mindepth 1 -maxdepth 1 -type d | sort | head -n "-$((keep > 0 ? keep : 1))")
  for d in ${old[@]+"${old[@]}"}; do
    [[ $d != "$OUT" ]] || continue
    ( flock -n 6 && rm -rf "$d" ) 6>>"$d/.run.lock" 2>/dev/null || true
  done
}
