// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * CO-RE variant: needs kernel BTF. Every KVM hook exists twice, as tp_btf
 * (preferred: typed arguments, cheapest dispatch) and raw_tp (works where
 * the tracepoint has no btf_trace_* type, e.g. some module builds). The
 * user side enables exactly one of each pair with bpf_program__set_autoload
 * before load. The ioctl hooks are the per-syscall trace events
 * syscalls:sys_{enter,exit}_ioctl, which are not real tracepoints (no
 * tp_btf); their fallback is raw_tp on raw_syscalls:sys_{enter,exit}
 * filtered on the syscall number, for hosts where tracefs is unavailable.
 *
 * Why not fentry/kprobe: they do not attach on every host (they do not on
 * the PVM host this was written on), and tracepoints are the stable ABI
 * KVM offers for exactly these events.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tp_ctx.h"
#include "dirty_stats_common.bpf.h"

#define DS_NR_IOCTL 16 /* x86-64 */

/* The ring is embedded in its vCPU (struct kvm_vcpu::dirty_ring), so the
 * owning vCPU is a container_of away; the offset comes from BTF (CO-RE),
 * not from a header, so it stays right when kvm_vcpu changes layout. */
static __always_inline __s32 ring_vcpu_id(struct kvm_dirty_ring *ring)
{
	unsigned long off = bpf_core_field_offset(struct kvm_vcpu, dirty_ring);
	struct kvm_vcpu *vcpu = (struct kvm_vcpu *)((unsigned long)ring - off);

	return BPF_CORE_READ(vcpu, vcpu_id);
}

/* kvm_dirty_ring::size is the capacity in entries (set once by
 * kvm_dirty_ring_alloc from the VMM's KVM_CAP_DIRTY_LOG_RING bytes); read
 * through CO-RE like the indexes, so it is right for whichever kernel or
 * kvm module BTF libbpf relocates against. The tracepoint's own record has
 * no size field, which is why only this object knows it. */
static __always_inline void ring_push(struct kvm_dirty_ring *ring)
{
	ds_on_ring_push(ring_vcpu_id(ring), BPF_CORE_READ(ring, dirty_index),
			BPF_CORE_READ(ring, reset_index), BPF_CORE_READ(ring, size));
}

static __always_inline void set_spte(u64 *sptep)
{
	u64 spte = 0;

	bpf_probe_read_kernel(&spte, sizeof(spte), sptep);
	ds_on_set_spte(spte);
}

/* ---- tp_btf ---- */

SEC("tp_btf/kvm_dirty_ring_push")
int BPF_PROG(btf_dirty_ring_push, struct kvm_dirty_ring *ring, u32 slot, u64 offset)
{
	ring_push(ring);
	return 0;
}

SEC("tp_btf/kvm_dirty_ring_reset")
int BPF_PROG(btf_dirty_ring_reset, struct kvm_dirty_ring *ring)
{
	ds_on_ring_reset(ring_vcpu_id(ring));
	return 0;
}

SEC("tp_btf/kvm_dirty_ring_exit")
int BPF_PROG(btf_dirty_ring_exit, struct kvm_vcpu *vcpu)
{
	ds_on_ring_exit(BPF_CORE_READ(vcpu, vcpu_id));
	return 0;
}

SEC("tp_btf/kvm_page_fault")
int BPF_PROG(btf_page_fault, struct kvm_vcpu *vcpu, u64 fault_address, u64 error_code)
{
	ds_on_page_fault(BPF_CORE_READ(vcpu, vcpu_id), 0);
	return 0;
}

SEC("tp_btf/fast_page_fault")
int BPF_PROG(btf_fast_page_fault, struct kvm_vcpu *vcpu)
{
	ds_on_page_fault(BPF_CORE_READ(vcpu, vcpu_id), 1);
	return 0;
}

SEC("tp_btf/kvm_mmu_set_spte")
int BPF_PROG(btf_mmu_set_spte, int level, u64 gfn, u64 *sptep)
{
	set_spte(sptep);
	return 0;
}

/* ---- raw_tp fallbacks, same arguments read as u64 ctx slots ---- */

SEC("raw_tp/kvm_dirty_ring_push")
int BPF_PROG(raw_dirty_ring_push, struct kvm_dirty_ring *ring)
{
	ring_push(ring);
	return 0;
}

SEC("raw_tp/kvm_dirty_ring_reset")
int BPF_PROG(raw_dirty_ring_reset, struct kvm_dirty_ring *ring)
{
	ds_on_ring_reset(ring_vcpu_id(ring));
	return 0;
}

SEC("raw_tp/kvm_dirty_ring_exit")
int BPF_PROG(raw_dirty_ring_exit, struct kvm_vcpu *vcpu)
{
	ds_on_ring_exit(BPF_CORE_READ(vcpu, vcpu_id));
	return 0;
}

SEC("raw_tp/kvm_page_fault")
int BPF_PROG(raw_page_fault, struct kvm_vcpu *vcpu)
{
	ds_on_page_fault(BPF_CORE_READ(vcpu, vcpu_id), 0);
	return 0;
}

SEC("raw_tp/fast_page_fault")
int BPF_PROG(raw_fast_page_fault, struct kvm_vcpu *vcpu)
{
	ds_on_page_fault(BPF_CORE_READ(vcpu, vcpu_id), 1);
	return 0;
}

SEC("raw_tp/kvm_mmu_set_spte")
int BPF_PROG(raw_mmu_set_spte, int level, u64 gfn, u64 *sptep)
{
	set_spte(sptep);
	return 0;
}

/* ---- ioctl latency ---- */

#include "ioctl_tp.bpf.h"

SEC("raw_tp/sys_enter")
int BPF_PROG(raw_sys_enter, struct pt_regs *regs, long id)
{
	if (id == DS_NR_IOCTL)
		ds_on_ioctl_enter((__u32)BPF_CORE_READ(regs, si));
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(raw_sys_exit, struct pt_regs *regs)
{
	if (BPF_CORE_READ(regs, orig_ax) == DS_NR_IOCTL)
		ds_on_ioctl_exit();
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
