#!/usr/bin/env bash
# Builds the kernel a developer would build from their own tree, for
# `make vm-tree-kernel` (docs/kernels-and-vm-harness.md, "A tree you
# built"): Debian's newest linux-source-7.2 (the version KERNEL=debian-7.2
# boots) configured unlike Debian's, allnoconfig plus vm/tree-kernel.config
# (no function tracer, no kprobes), built with the host's compiler, its
# modules staged into the tree itself as the docs' step-by-step does
# (modules_install INSTALL_MOD_PATH=<tree>).
# Cache ($BUILD_DIR/kernels/tree-7.2/): src/ the source, out/ the O= tree
# that `make vm-test KERNEL=$BUILD_DIR/kernels/tree-7.2/out` boots;
# out/.built holds the key (source version, config): a second run with
# neither changed does nothing.
# Usage: vm/tree-kernel.sh   (env BUILD_DIR; JOBS, 2)
set -euo pipefail
WHO=tree-kernel
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=apt.sh
. "$ROOT/vm/apt.sh"

top=$BUILD_DIR/kernels/tree-7.2
src=$top/src out=$top/out fragment=$ROOT/vm/tree-kernel.config
mkdir -p "$top"
# A kernel build's tools (flex, bison, bc, libelf) and pahole for BTF.
"$ROOT/scripts/install-deps.sh" debugkernel >&2

linux_source "$top" 7.2 sid
want="$SRC_VERSION config $(sha256sum <"$fragment" | cut -c1-16)"
if [[ -f $out/.built && $(cat "$out/.built") == "$want" ]]; then
  note "cached: linux-source-7.2 $SRC_VERSION with ${fragment##*/} in $out"
  exit 0
fi
linux_source_unpack "$top" "$src" "$out"

kmake() { nice -n 5 make -C "$src" O="$out" "$@"; }
rm -f "$out/.built"
mkdir -p "$out"
kmake -s allnoconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment" >"$top/merge.log" 2>&1 ||
  die "merge_config failed (log: $top/merge.log)"
kmake -s olddefconfig >/dev/null
lost=$(config_differs "$out/.config" "$fragment" | grep -oE 'CONFIG_[A-Z0-9_]+' | paste -sd' ' || true)
[[ -z $lost ]] || die "the config lost what ${fragment##*/} asks for: $lost"

t0=$SECONDS load0=$(cut -d' ' -f1-3 /proc/loadavg)
note "building linux-source-7.2 $SRC_VERSION, allnoconfig + ${fragment##*/}, -j${JOBS:-2} (load $load0; log: $top/build.log)"
kmake -j "${JOBS:-2}" bzImage modules >"$top/build.log" 2>&1 ||
  { tail -n 20 "$top/build.log" >&2; die "kernel build failed (log: $top/build.log)"; }
rm -rf "$out/lib/modules"
kmake -s INSTALL_MOD_PATH="$out" modules_install >/dev/null
echo "$want" >"$out/.built"
note "built in $((SECONDS - t0)) s (load average before $load0, after $(cut -d' ' -f1-3 /proc/loadavg))"
