#!/usr/bin/env bash
# dirtyscope.ko must build on kernels that lack what Debian's have: a
# kernel someone built from a defconfig has no function tracer, and some
# have no kprobes. This builds the module against copies of Debian's
# headers (vm/kdir.sh) whose configuration has those options taken out,
# which is what such a kernel's build tree holds, and checks:
#   no-function-tracer, no-kprobes: the module builds (its optional hooks
#     are left out, kmod/probes.h);
#   no-tracepoints (the twin): the build stops with one line naming
#     CONFIG_TRACEPOINTS, the one thing the module cannot do without.
# Exit 0 pass, 1 fail, 4 skip (no kernel headers).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out=${KMOD_VARIANTS_DIR:-$here/build/kmod-variants}
kdir=${KDIR:-$("$here/vm/kdir.sh")}
if [[ -z $kdir || ! -f $kdir/include/generated/autoconf.h ]]; then
  echo "SKIP: no kernel headers with a generated configuration (scripts/install-deps.sh kmod)"
  exit 4
fi

# Options a variant takes out, with what depends on them.
declare -A drop=(
  [no-function-tracer]="FUNCTION_TRACER FUNCTION_GRAPH_TRACER DYNAMIC_FTRACE DYNAMIC_FTRACE_WITH_REGS
    DYNAMIC_FTRACE_WITH_ARGS DYNAMIC_FTRACE_WITH_DIRECT_CALLS KPROBES_ON_FTRACE FTRACE_MCOUNT_RECORD
    FTRACE_MCOUNT_USE_CC FTRACE_MCOUNT_USE_OBJTOOL FUNCTION_PROFILER STACK_TRACER FPROBE"
  [no-kprobes]="KPROBES KPROBES_ON_FTRACE KRETPROBES KRETPROBE_ON_RETHOOK KPROBE_EVENTS OPTPROBES
    UPROBE_EVENTS BPF_KPROBE_OVERRIDE FPROBE"
  [no-tracepoints]="TRACEPOINTS"
)

# A build tree like $kdir with the options taken out of its configuration.
make_tree() {
  local variant=$1 tree=$out/$1/tree o
  rm -rf "$out/$variant"
  mkdir -p "$out/$variant"
  cp -a "$kdir/." "$tree"
  # Debian's tree links scripts/ and tools/ relatively into kbuild's
  # package: point the copies' links where the originals lead.
  local link
  while IFS= read -r link; do
    ln -sfn "$(readlink -f "$kdir/${link#"$tree"/}")" "$link"
  done < <(find "$tree" -type l)
  for o in ${drop[$variant]}; do
    sed -i "/^#define CONFIG_${o}\(_MODULE\)\? /d" "$tree/include/generated/autoconf.h"
    sed -i "/^CONFIG_${o}=/d" "$tree/include/config/auto.conf"
  done
}

build() {
  local variant=$1 src=$out/$1/src
  mkdir -p "$src"
  cp -a "$here/kmod/." "$src/"
  make -C "$out/$variant/tree" M="$src" modules >"$out/$variant/build.log" 2>&1
}

fail=0
for variant in no-function-tracer no-kprobes; do
  make_tree "$variant"
  if build "$variant" && [[ -f $out/$variant/src/dirtyscope.ko ]]; then
    echo "ok: $variant: dirtyscope.ko builds"
  else
    echo "FAIL: $variant: the module does not build (log: $out/$variant/build.log)"
    grep -m5 -E 'error|Error' "$out/$variant/build.log" || true
    fail=1
  fi
done

make_tree no-tracepoints
if build no-tracepoints; then
  echo "FAIL: no-tracepoints: the module built without CONFIG_TRACEPOINTS"
  fail=1
elif grep -q "dirtyscope.ko needs CONFIG_TRACEPOINTS in the kernel's configuration" "$out/no-tracepoints/build.log"; then
  echo "ok: no-tracepoints: the build stops naming CONFIG_TRACEPOINTS"
else
  echo "FAIL: no-tracepoints: the build failed without naming CONFIG_TRACEPOINTS (log: $out/no-tracepoints/build.log)"
  fail=1
fi
exit $fail
