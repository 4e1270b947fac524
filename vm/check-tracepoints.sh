#!/usr/bin/env bash
# Checks dirtyscope.ko's probe prototypes against the BTF of the kernel the
# nested VM is about to boot (its vmlinux, unpacked from the image, plus its
# kvm.ko), so a mismatch is refused before the module is ever loaded.
# The check itself is kmod/check-prototypes.sh (dkms runs it too).
# Usage: check-tracepoints.sh IMAGE MODDIR WORKDIR   (MODDIR: lib/modules/<abi>;
# the BTF dump is cached in WORKDIR). Exit 0 match, 1 mismatch, 2 cannot check.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[[ $# -eq 3 ]] || { echo "usage: vm/check-tracepoints.sh IMAGE MODDIR WORKDIR" >&2; exit 2; }
IMAGE=$1 MODDIR=$2 WORK=$3
KVM_KO=$(find "$MODDIR/kernel/arch/x86/kvm" -name 'kvm.ko*' 2>/dev/null | head -n1 || true)
exec "$ROOT/kmod/check-prototypes.sh" --image "$IMAGE" ${KVM_KO:+--kvm-ko "$KVM_KO"} --cache "$WORK"
