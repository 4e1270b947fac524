#!/usr/bin/env bash
# Builds the kernel a developer would build from their own tree, for
# `make vm-tree-kernel` (docs/kernels-and-vm-harness.md, "A tree you
# built"): Debian's newest linux-source-7.2 (the version KERNEL=debian-7.2
# boots) configured unlike Debian's, allnoconfig plus vm/tree-kernel.config
# (no function tracer, no kprobes), built with the host's compiler, its
# modules staged into the tree itself as the docs' step-by-step does
# (modules_install INSTALL_MOD_PATH=<tree>).
# Cache ($MACHINE_CACHE/kernels/tree-7.2/, vm/lib.sh: outside the
# checkout, shared by every clone on the machine, as the first build is
# long; kept as build_kernel keeps a kernel, one build at a time): out/ is
# the tree `make vm-test KERNEL=tree-7.2` boots (vm/kernel.sh).
# Usage: vm/tree-kernel.sh   (env DIRTYSCOPE_CACHE; JOBS, 2)
set -euo pipefail
WHO=tree-kernel
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=apt.sh
. "$ROOT/vm/apt.sh"

top=$MACHINE_CACHE/kernels/tree-7.2
# A kernel build's tools (flex, bison, bc, libelf) and pahole for BTF.
"$ROOT/scripts/install-deps.sh" debugkernel >&2
linux_source "$top" 7.2 sid
K_TOP=$top K_DIR=$top K_OUT=$top/out K_BUILT=$top/out/.built K_MODS=$top/out
K_BASE=allnoconfig K_INHERIT='' K_FRAGMENTS=("$ROOT/vm/tree-kernel.config") K_TARGETS="bzImage modules"
# The fix this tool proved for 7.2's dirty-ring reset bug, which the verdict
# set's reset-signals run fails on (docs/findings/dirty-ring-reset-eintr/):
# a developer's tree that carries it.
K_PATCHES=("$ROOT/docs/findings/dirty-ring-reset-eintr/fix.patch") K_KEY_WORDS=(config fix)
JOBS=${JOBS:-2} build_kernel
