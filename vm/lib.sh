# Every host-side vm/ script's start (sourced after setting WHO): ROOT, the
# checkout; BUILD_DIR, absolute; die (exit 2) and note, one line on stderr.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# abs PATH: PATH, relative ones taken from the checkout.
abs() { [[ $1 = /* ]] && echo "$1" || echo "$ROOT/$1"; }
BUILD_DIR=$(abs "${BUILD_DIR:-build}")
die() { echo "$WHO: $*" >&2; exit 2; }
note() { echo "$WHO: $*" >&2; }
# patch_paths WHAT PATCH...: PATCHES, each PATCH's absolute path; a missing one dies
# (/dev/null, the empty control of a patch check, is accepted).
patch_paths() {
  local p
  PATCHES=()
  for p in "${@:2}"; do [[ -r $p && ! -d $p ]] || die "$1 '$p' not found"; PATCHES+=("$(realpath "$p")"); done
}
# The machine's cache, outside every checkout (so a fresh clone, CI's among
# them, reuses what an earlier one built): the tree kernel.
MACHINE_CACHE=$(abs "${DIRTYSCOPE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/dirtyscope}")
# lock FD WHAT: the lock on FD (opened by the caller), saying it waits for WHAT.
lock() { flock -n "$1" || { note "waiting for $2"; flock "$1"; }; }
# kernel_cc CONFIG: the compiler the kernel of .config CONFIG was built with.
kernel_cc() { sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$1"; }
# btf_args CONFIG: the make argument that builds dirtyscope.ko without BTF of
# its own (the probes need none) when this host's pahole cannot make it for
# that kernel: none, or older than the CONFIG_PAHOLE_VERSION Kbuild asks for.
btf_args() {
  local want have
  want=$(sed -n 's/^CONFIG_PAHOLE_VERSION=//p' "$1" 2>/dev/null || true)
  have=$(pahole --version 2>/dev/null | tr -dc 0-9 || true)
  if [[ -z $have ]] || { [[ -n $want ]] && ((have < want)); }; then echo CONFIG_DEBUG_INFO_BTF_MODULES=; fi
}
# patch_source SRC PATCH...: a kernel source holding exactly the PATCHes,
# patched in place (builds stay incremental): the set recorded in
# SRC/.dirtyscope-patches.patch is taken back out unless it is the same,
# then each PATCH goes in, in order. One that does not apply dies naming it
# and its first failing hunk, with SRC as it was before (exit 2). A patch
# may change what an earlier one added, so sets come out last patch first:
# the record holds them in that order.
patch_source() {
  local src=$1 applied=$1/.dirtyscope-patches.patch wanted p err i done=()
  wanted=$(for ((i = $#; i >= 2; i--)); do cat "${!i}"; done)
  if [[ -f $applied ]] && [[ $(cat "$applied") != "$wanted" ]]; then
    patch -s -R -p1 -d "$src" --no-backup-if-mismatch <"$applied" || die "could not take the previous patches back out of $src"
    rm -f "$applied"
  fi
  [[ ! -f $applied && -n $wanted ]] || return 0
  for p in "${@:2}"; do
    [[ -s $p ]] || continue
    if ! err=$(patch -p1 -d "$src" --dry-run --batch --forward <"$p" 2>&1); then
      for ((i = ${#done[@]} - 1; i >= 0; i--)); do patch -s -R -p1 -d "$src" --no-backup-if-mismatch <"${done[i]}"; done
      die "$(basename "$p") does not apply to $src: $(awk '/^checking file /{ f = $3 ": " }
        /FAILED|garbage|malformed|ignored|can.t find/{ print f $0; exit }' <<<"$err")"
    fi
    patch -s -p1 -d "$src" --no-backup-if-mismatch <"$p"
    done+=("$p")
  done
  printf '%s\n' "$wanted" >"$applied"
  note "applied ${#done[@]} patch(es) to $src"
}
# linux_source TOP SERIES SUITE: SUITE's newest linux-source-SERIES (amd64
# lists in a private apt state, TOP/apt; needs vm/apt.sh). Sets SRC_PKG and
# SRC_VERSION; linux_source_unpack then unpacks it.
linux_source() {
  apt_state "$1/apt" amd64 "$3"
  read -r SRC_PKG SRC_VERSION < <(apt_newest "^linux-source-${2//./\\.}\$") || true
  [[ -n ${SRC_PKG:-} ]] || die "no linux-source-$2 in $3"
}
# linux_source_unpack TOP SRC [STALE...]: linux_source's package unpacked
# into SRC (its .deb kept in TOP/debs) unless SRC holds that version
# already; a new version first removes SRC and each STALE folder (the
# trees built from the old one).
linux_source_unpack() {
  mkdir -p "$1/debs"
  apt_source_tree "$1/debs" "$SRC_PKG" "$SRC_VERSION" "$2" "${@:3}"
}
# config_differs CONFIG FRAGMENT...: each line the FRAGMENTs ask for
# ("CONFIG_X=..." or "# CONFIG_X is not set") that the .config CONFIG does
# not hold as written: olddefconfig silently drops an option whose
# dependency is missing. As in merge_config, a later fragment's line for an
# option replaces an earlier one.
config_differs() {
  local config=$1 line opt have
  cat "${@:2}" | grep -E '^(# )?CONFIG_' | awk '{ match($0, /CONFIG_[A-Z0-9_]+/)
    o = substr($0, RSTART, RLENGTH); if (!(o in last)) order[++n] = o; last[o] = $0 }
    END { for (i = 1; i <= n; i++) print last[order[i]] }' |
    while read -r line; do
      opt=$(grep -oE 'CONFIG_[A-Z0-9_]+' <<<"$line")
      have=$(grep -E "^(# )?${opt}[= ]" "$config" || echo "# $opt is not set")
      [[ $line == "$have" ]] || echo "$line"
    done
}
# config_kept CONFIG WHAT FRAGMENT...: dies naming each option the
# FRAGMENTs (WHAT, for the message) ask for that CONFIG does not hold.
config_kept() {
  local lost
  lost=$(config_differs "$1" "${@:3}" | grep -oE 'CONFIG_[A-Z0-9_]+' | paste -sd' ' || true)
  [[ -z $lost ]] || die "the config lost what $2 asks for: $lost"
}
# kernel_config SRC OUT BASE LOG FRAGMENT...: OUT/.config from the make
# targets BASE ("allnoconfig", "defconfig kvm_guest.config") with the
# FRAGMENTs merged in, then olddefconfig (merge_config's output in LOG).
# Dies naming each option a FRAGMENT asks for that olddefconfig dropped for
# a missing dependency (BASE's own lines are the kernel's, not checked).
kernel_config() {
  local src=$1 out=$2 base=$3 log=$4 names=("${@:5}")
  mkdir -p "$out"
  # shellcheck disable=SC2086 # BASE is a list of make targets
  make -s -C "$src" O="$out" $base >/dev/null
  "$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${@:5}" >"$log" 2>&1 ||
    die "merge_config failed (log: $log)"
  make -s -C "$src" O="$out" olddefconfig >/dev/null
  config_kept "$out/.config" "${names[*]##*/}" "${@:5}"
}
# kernel_build SRC OUT LOG TARGET...: make -j$JOBS (default: every CPU) the
# TARGETs in OUT, the output in LOG; on failure its last lines and a die.
kernel_build() {
  make -C "$1" O="$2" -j "${JOBS:-$(nproc)}" "${@:4}" >"$3" 2>&1 ||
    { tail -n 20 "$3" >&2; die "kernel build failed (log: $3)"; }
}
