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
# SRC_VERSION, which build_kernel builds.
linux_source() {
  apt_state "$1/apt" amd64 "$3"
  read -r SRC_PKG SRC_VERSION < <(apt_newest "^linux-source-${2//./\\.}\$") || true
  [[ -n ${SRC_PKG:-} ]] || die "no linux-source-$2 in $3"
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
# digest FILE...: the first 16 hex digits of the FILEs' sha256, together.
digest() { cat "$@" | sha256sum | cut -c1-16; }
# toolchain_make TC ARG...: make, niced (a build on a shared machine), in
# the private toolchain root TC (vm/toolchain.sh), or on the host when TC
# is empty.
toolchain_make() {
  if [[ -n $1 ]]; then BUILD_DIR=$BUILD_DIR "$ROOT/vm/toolchain.sh" run "$1" nice -n 5 make "${@:2}"; else nice -n 5 make "${@:2}"; fi
}
# build_kernel: a kernel built from Debian's linux-source as its recipe
# (vm/tree-kernel.sh, vm/debug-kernel.sh, vm/arm64/kernel-build.sh) says,
# once per key. The recipe, in variables:
#   K_TOP      the source's folder: src/ (unpacked, patched in place: a new
#              patch set rebuilds only what it touches), debs/, .lock
#   K_DIR      the build's folder (merge.log, build.log); K_OUT, its O= tree
#   K_BUILT    the file holding the key of what K_OUT holds
#   SRC_PKG SRC_VERSION  the linux-source .deb (linux_source; one missing
#              from K_TOP/debs comes from the current apt state)
#   K_BASE     the make targets the config starts from ("allnoconfig")
#   K_INHERIT  a fragment taken as far as that config allows (or empty)
#   K_FRAGMENTS  fragments each of whose lines must survive olddefconfig
#              (a dependency they lack would silently drop an option)
#   K_PATCHES  the patches, in order (an empty /dev/null adds nothing)
#   K_KEY_WORDS  the two words of the key, as each kernel has always
#              written it (so a built one stays cached): "SRC_VERSION
#              [WORD1] <config digest> WORD2 <patches digest>"
#   K_TARGETS  the make targets; K_MODS, where modules_install puts the
#              modules (empty: none); JOBS, make's -j
#   K_TOOLCHAIN, K_MAKE_ARGS  (optional) toolchain_make's root, and make
#              arguments (a cross-compiler)
# kernel_make ARG...: make in the recipe's tree.
kernel_make() { toolchain_make "${K_TOOLCHAIN:-}" -C "$K_TOP/src" O="$K_OUT" ${K_MAKE_ARGS[@]+"${K_MAKE_ARGS[@]}"} "$@"; }
build_kernel() {
  local configs=(${K_INHERIT:+"$K_INHERIT"} "${K_FRAGMENTS[@]}") config_key want t0 load0
  config_key="$SRC_VERSION${K_KEY_WORDS[0]:+ ${K_KEY_WORDS[0]}} $(digest "${configs[@]}")"
  want="$config_key ${K_KEY_WORDS[1]} $(digest ${K_PATCHES[@]+"${K_PATCHES[@]}"} /dev/null)"
  mkdir -p "$K_TOP/debs" "$K_DIR"
  exec 9>"$K_TOP/.lock"
  lock 9 "another build from $K_TOP/src"
  if [[ -f $K_BUILT && $(cat "$K_BUILT") == "$want" ]]; then
    note "cached: $SRC_PKG $SRC_VERSION with ${configs[*]##*/} and ${#K_PATCHES[@]} patch(es) in $K_OUT"
    return 0
  fi
  apt_source_tree "$K_TOP/debs" "$SRC_PKG" "$SRC_VERSION" "$K_TOP/src" "$K_OUT"
  patch_source "$K_TOP/src" ${K_PATCHES[@]+"${K_PATCHES[@]}"}
  rm -f "$K_BUILT"
  mkdir -p "$K_OUT"
  # The config is made again only when what it comes from changed (another
  # patch set keeps it, and the build stays incremental).
  if [[ ! -f $K_OUT/.config-key || $(cat "$K_OUT/.config-key") != "$config_key" ]]; then
    rm -f "$K_OUT/.config-key"
    # shellcheck disable=SC2086 # K_BASE is a list of make targets
    kernel_make -s $K_BASE >/dev/null
    "$K_TOP/src/scripts/kconfig/merge_config.sh" -m -O "$K_OUT" "$K_OUT/.config" "${configs[@]}" >"$K_DIR/merge.log" 2>&1 ||
      die "merge_config failed (log: $K_DIR/merge.log)"
    kernel_make -s olddefconfig >/dev/null
    config_kept "$K_OUT/.config" "${K_FRAGMENTS[*]##*/}" "${K_FRAGMENTS[@]}"
    if [[ -n $K_INHERIT ]]; then
      config_differs "$K_OUT/.config" "$K_INHERIT" >"${K_INHERIT%.config}-lost.config"
      note "$(grep -c . "$K_INHERIT") options of ${K_INHERIT##*/} taken, $(grep -c . "${K_INHERIT%.config}-lost.config" || true) of them unavailable here (${K_INHERIT%.config}-lost.config)"
    fi
    echo "$config_key" >"$K_OUT/.config-key"
  fi
  t0=$SECONDS load0=$(cut -d' ' -f1-3 /proc/loadavg)
  note "building $SRC_PKG $SRC_VERSION, $K_BASE + ${configs[*]##*/}, -j$JOBS (load $load0; log: $K_DIR/build.log)"
  # shellcheck disable=SC2086 # K_TARGETS is a list of make targets
  kernel_make -j "$JOBS" $K_TARGETS >"$K_DIR/build.log" 2>&1 ||
    { tail -n 20 "$K_DIR/build.log" >&2; die "kernel build failed (log: $K_DIR/build.log)"; }
  if [[ -n $K_MODS ]]; then
    rm -rf "$K_MODS/lib/modules"
    kernel_make -s INSTALL_MOD_PATH="$K_MODS" modules_install >/dev/null
  fi
  echo "$want" >"$K_BUILT"
  note "built in $((SECONDS - t0)) s (load average before $load0, after $(cut -d' ' -f1-3 /proc/loadavg))"
}
