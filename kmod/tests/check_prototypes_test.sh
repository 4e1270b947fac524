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
echo "1..5"

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
if [[ -z $abi || ! -f /boot/vmlinuz-$abi || -z $ko ]] || ! command -v bpftool >/dev/null; then
  echo "ok 5 real kvm.ko BTF refuses a doctored probe prototype # SKIP no Debian kernel image or bpftool"
else
  sed 's/^kvm_exit\tvoid \*, struct kvm_vcpu \*, u32$/kvm_exit\tvoid *, struct kvm_vcpu *, u64/' "$EXPECTED" >"$tmp/expected"
  rc=0; "$CHECK" --image "/boot/vmlinuz-$abi" --kvm-ko "$ko" --expected "$tmp/expected" >"$tmp/out" 2>&1 || rc=$?
  if ((rc == 1)) && grep -qF 'MISMATCH: tracepoint kvm_exit: probe expects void (*)(void *, struct kvm_vcpu *, u64); kernel BTF has void (*)(void *, struct kvm_vcpu *, u32)' "$tmp/out" &&
    [[ $(grep -c '^match:' "$tmp/out") -eq $(($(grep -c $'^[a-z_]*\t' "$EXPECTED") - 1)) ]]; then
    ok "real kvm.ko BTF ($abi) refuses a doctored probe prototype"
  else notok "real kvm.ko BTF ($abi) refuses a doctored probe prototype (exit $rc)"; fi
fi
exit $failed
