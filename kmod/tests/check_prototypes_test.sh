#!/usr/bin/env bash
# Proves that kmod/check-prototypes.sh (run before every VM boot and by dkms
# before every build) refuses a kernel whose tracepoint prototype differs
# from a probe's, naming the tracepoint and both prototypes, and accepts a
# matching one. Hermetic part: a BTF dump written here (the expected list's
# typedefs, then one doctored). With bpftool and Debian's kernel installed,
# also the real BTF of that kernel's kvm.ko against a doctored expected list.
# Prints KTAP; exit 0 pass, 1 fail, 4 skip.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHECK=$ROOT/kmod/check-prototypes.sh
EXPECTED=$ROOT/kmod/probe-prototypes.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); failed=1; echo "not ok $n $1"; sed 's/^/# /' "$tmp/out"; }
echo "KTAP version 1"
echo "1..8"

# A dump as bpftool prints it, from the expected list itself.
grep -v '^#' "$EXPECTED" | while IFS=$'\t' read -r tp args; do
  echo "typedef void (*btf_trace_$tp)($args);"
done >"$tmp/good.h"
echo "typedef void (*btf_trace_sched_switch)(void *, bool, struct task_struct *);" >>"$tmp/good.h"

if "$CHECK" --dump "$tmp/good.h" >"$tmp/out" 2>&1 && ! grep -q MISMATCH "$tmp/out"; then
  ok "matching BTF is accepted"
else notok "matching BTF is accepted"; fi

# kvm_page_fault's error_code as u32 (a plausible kernel change).
sed 's/(\*btf_trace_kvm_page_fault)(void \*, struct kvm_vcpu \*, u64, u64)/(*btf_trace_kvm_page_fault)(void *, struct kvm_vcpu *, u64, u32)/' \
  "$tmp/good.h" >"$tmp/bad.h"
rc=0; "$CHECK" --dump "$tmp/bad.h" >"$tmp/out" 2>&1 || rc=$?
if ((rc == 1)) &&
  grep -qF 'MISMATCH: tracepoint kvm_page_fault: probe expects void (*)(void *, struct kvm_vcpu *, u64, u64); kernel BTF has void (*)(void *, struct kvm_vcpu *, u64, u32)' "$tmp/out" &&
  [[ $(grep -c MISMATCH "$tmp/out") -eq 1 ]] && grep -q refusing "$tmp/out"; then
  ok "a changed prototype is refused, naming the tracepoint and both prototypes"
else notok "a changed prototype is refused, naming the tracepoint and both prototypes (exit $rc)"; fi

grep -v kvm_mmu_set_spte "$tmp/good.h" >"$tmp/missing.h"
rc=0; "$CHECK" --dump "$tmp/missing.h" >"$tmp/out" 2>&1 || rc=$?
if ((rc == 1)) && grep -qF 'MISMATCH: tracepoint kvm_mmu_set_spte: probe expects void (*)(void *, int, gfn_t, u64 *); kernel BTF has no btf_trace_kvm_mmu_set_spte' "$tmp/out"; then
  ok "a missing tracepoint is refused"
else notok "a missing tracepoint is refused (exit $rc)"; fi

rc=0; "$CHECK" --dump "$tmp/nonexistent.h" >"$tmp/out" 2>&1 || rc=$?
if ((rc == 2)); then ok "no BTF to check against: exit 2, not a pass"
else notok "no BTF to check against: exit 2, not a pass (exit $rc)"; fi

# The real BTF of Debian's kernel (vmlinux + kvm.ko), a doctored expectation.
abi=$("$ROOT/vm/kdir.sh" --abi 2>/dev/null || true)
ko=$(find "/lib/modules/$abi/kernel/arch/x86/kvm" -name 'kvm.ko*' 2>/dev/null | head -n1 || true)
if [[ -z $abi || ! -f /boot/vmlinuz-$abi || -z $ko ]]; then
  echo "ok 5 real kvm.ko BTF refuses a doctored probe prototype # SKIP no Debian kernel image"
else
  sed 's/^kvm_exit\tvoid \*, struct kvm_vcpu \*, u32$/kvm_exit\tvoid *, struct kvm_vcpu *, u64/' "$EXPECTED" >"$tmp/expected"
  rc=0; "$CHECK" --image "/boot/vmlinuz-$abi" --kvm-ko "$ko" --expected "$tmp/expected" >"$tmp/out" 2>&1 || rc=$?
  if ((rc == 1)) && grep -qF 'MISMATCH: tracepoint kvm_exit: probe expects void (*)(void *, struct kvm_vcpu *, u64); kernel BTF has void (*)(void *, struct kvm_vcpu *, u32)' "$tmp/out" &&
    [[ $(grep -c '^match:' "$tmp/out") -eq $(($(grep -c $'^[a-z_]*\t' "$EXPECTED") - 1)) ]]; then
    ok "real kvm.ko BTF ($abi) refuses a doctored probe prototype"
  else notok "real kvm.ko BTF ($abi) refuses a doctored probe prototype (exit $rc)"; fi
fi

# BTF this reader cannot read: a kind newer than it knows. Any reader of
# a kernel's BTF meets this one day; the gate must say it could not check,
# never that the prototypes do not match.
python3 - "$tmp/future.btf" <<'PY'
import struct, sys
strings = b'\0btf_trace_x\0'
types = struct.pack('<III', 1, 25 << 24, 0)  # kind 25: unknown
hdr = struct.pack('<HBBIIIII', 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
open(sys.argv[1], 'wb').write(hdr + types + strings)
PY
rc=0; "$CHECK" --image "$tmp/future.btf" >"$tmp/out" 2>&1 || rc=$?
if ((rc == 2)) && grep -q '^check-prototypes: could not check probe prototypes: .*unknown BTF kind 25' "$tmp/out" &&
  ! grep -q 'MISMATCH\|refusing' "$tmp/out"; then
  ok "BTF with an unknown kind: could not check (exit 2), not a mismatch"
else notok "BTF with an unknown kind: could not check (exit 2), not a mismatch (exit $rc)"; fi

# An ELF file with no BTF at all (a kernel built without CONFIG_DEBUG_INFO_BTF).
rc=0; "$CHECK" --image /bin/true >"$tmp/out" 2>&1 || rc=$?
if ((rc == 2)) && grep -q '^check-prototypes: could not check probe prototypes: .*no .BTF section' "$tmp/out"; then
  ok "a kernel without BTF: could not check (exit 2)"
else notok "a kernel without BTF: could not check (exit 2) (exit $rc)"; fi

# The reader against bpftool, where both can read the kernel: the same
# prototypes, spelled the same, for every tracepoint.
if [[ -z $abi || ! -f /boot/vmlinuz-$abi || -z $ko ]] || ! command -v bpftool >/dev/null; then
  echo "ok 8 btf_prototypes.py reads what bpftool reads # SKIP no Debian kernel image or bpftool"
else
  python3 "$ROOT/kmod/btf_prototypes.py" --unpack "/boot/vmlinuz-$abi" "$tmp/vmlinux"
  case $ko in
  *.xz) xz -dc "$ko" >"$tmp/kvm.ko" ;;
  *) cp "$ko" "$tmp/kvm.ko" ;;
  esac
  python3 "$ROOT/kmod/btf_prototypes.py" "$tmp/vmlinux" "$tmp/kvm.ko" | sort >"$tmp/ours"
  bpftool -B "$tmp/vmlinux" btf dump file "$tmp/kvm.ko" format c | grep '(\*btf_trace_' | sort >"$tmp/theirs"
  if [[ -s $tmp/ours ]] && diff "$tmp/ours" "$tmp/theirs" >"$tmp/out"; then
    ok "btf_prototypes.py reads what bpftool reads ($(wc -l <"$tmp/ours") tracepoints of $abi)"
  else notok "btf_prototypes.py reads what bpftool reads"; fi
fi
exit $failed
