#!/usr/bin/env bash
# Checks dirtyscope.ko's probe prototypes against the BTF of the guest
# kernel's kvm.ko. The x86 tracepoints (arch/x86/kvm/trace.h, mmutrace.h)
# are not in the headers package, so the compiler cannot check them; a
# Debian ABI bump that changes one would otherwise make a probe misread its
# arguments. Usage: check-tracepoints.sh ABI WORKDIR
set -euo pipefail
ABI=$1
WORK=$2
KVM_KO=$(find "/lib/modules/$ABI/kernel/arch/x86/kvm" -name 'kvm.ko*' | head -n1)
VMLINUX=$WORK/vmlinux-$ABI
DUMP=$WORK/kvm-btf-$ABI.h

# Must match the probes in kmod/probes.c (first argument: probe data).
expected=(
  'btf_trace_kvm_dirty_ring_push)(void *, struct kvm_dirty_ring *, u32, u64);'
  'btf_trace_kvm_dirty_ring_reset)(void *, struct kvm_dirty_ring *);'
  'btf_trace_kvm_dirty_ring_exit)(void *, struct kvm_vcpu *);'
  'btf_trace_kvm_page_fault)(void *, struct kvm_vcpu *, u64, u64);'
  'btf_trace_kvm_mmu_set_spte)(void *, int, gfn_t, u64 *);'
  'btf_trace_kvm_exit)(void *, struct kvm_vcpu *, u32);'
)

if ! command -v bpftool >/dev/null; then
  echo "bpftool missing: cannot check"; exit 1
fi
if [[ ! -s $DUMP ]]; then
  ko=$KVM_KO
  case $ko in
  *.xz) xz -dc "$ko" >"$WORK/kvm.ko"; ko=$WORK/kvm.ko ;;
  *.zst) zstd -qdc "$ko" >"$WORK/kvm.ko"; ko=$WORK/kvm.ko ;;
  esac
  # kvm.ko's BTF is split BTF on top of vmlinux's: unpack vmlinux first.
  python3 - "/boot/vmlinuz-$ABI" "$VMLINUX" <<'PY'
import gzip, lzma, sys, zlib
data = open(sys.argv[1], 'rb').read()
for magic, unpack in ((b'\xfd7zXZ\x00', lambda b: lzma.LZMADecompressor().decompress(b)),
                      (b'\x1f\x8b\x08', lambda b: zlib.decompressobj(31).decompress(b))):
    at = data.find(magic)
    while at >= 0:
        try:
            out = unpack(data[at:])
            if out[:4] == b'\x7fELF':
                open(sys.argv[2], 'wb').write(out)
                sys.exit(0)
        except Exception:
            pass
        at = data.find(magic, at + 1)
sys.exit('no xz/gzip-compressed ELF found in ' + sys.argv[1])
PY
  bpftool -B "$VMLINUX" btf dump file "$ko" format c >"$DUMP.tmp"
  mv "$DUMP.tmp" "$DUMP"
  rm -f "$VMLINUX" "$WORK/kvm.ko"
fi
bad=0
for e in "${expected[@]}"; do
  if grep -qF "typedef void (*$e" "$DUMP"; then
    echo "match: $e"
  else
    name=${e%%)*}
    echo "MISMATCH: expected $e; BTF has: $(grep -F "(*$name)" "$DUMP" || echo none)"
    bad=1
  fi
done
exit $bad
