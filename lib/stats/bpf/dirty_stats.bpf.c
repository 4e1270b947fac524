// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * CO-RE variant: needs kernel BTF. Every KVM hook exists as tp_btf and as
 * its raw_tp fallback (DS_HOOK below); the ioctl hooks' fallback is raw_tp
 * on raw_syscalls:sys_{enter,exit}. The user side autoloads one program of
 * each pair (docs/statistics-and-alarm.md: "Attach variants and
 * fallbacks", "Why tracepoints, not kprobes or fentry").
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

/* Each KVM hook twice with one body: tp_btf/<tp> as btf_<name> and its
 * raw_tp/<tp> fallback as raw_<name>, the same leading arguments (read
 * as u64 ctx slots there). */
#define DS_HOOK(tp, name, body, ...)                              \
	SEC("tp_btf/" #tp)                                        \
	int BPF_PROG(btf_##name, __VA_ARGS__)                     \
	{                                                         \
		body;                                             \
		return 0;                                         \
	}                                                         \
	SEC("raw_tp/" #tp)                                        \
	int BPF_PROG(raw_##name, __VA_ARGS__)                     \
	{                                                         \
		body;                                             \
		return 0;                                         \
	}

DS_HOOK(kvm_dirty_ring_push, dirty_ring_push, ring_push(ring), struct kvm_dirty_ring *ring)
DS_HOOK(kvm_dirty_ring_reset, dirty_ring_reset, ds_on_ring_reset(ring_vcpu_id(ring)),
	struct kvm_dirty_ring *ring)
DS_HOOK(kvm_dirty_ring_exit, dirty_ring_exit, ds_on_ring_exit(BPF_CORE_READ(vcpu, vcpu_id)),
	struct kvm_vcpu *vcpu)
DS_HOOK(kvm_page_fault, page_fault, ds_on_page_fault(BPF_CORE_READ(vcpu, vcpu_id), 0),
	struct kvm_vcpu *vcpu)
DS_HOOK(fast_page_fault, fast_page_fault, ds_on_page_fault(BPF_CORE_READ(vcpu, vcpu_id), 1),
	struct kvm_vcpu *vcpu)
DS_HOOK(kvm_mmu_set_spte, mmu_set_spte, set_spte(sptep), int level, u64 gfn, u64 *sptep)

/* ---- ioctl latency ---- */

#include "ioctl_tp.bpf.h"

SEC("raw_tp/sys_enter")
int BPF_PROG(raw_sys_enter_ioctl, struct pt_regs *regs, long id)
{
	if (id == DS_NR_IOCTL)
		ds_on_ioctl_enter((__u32)BPF_CORE_READ(regs, si));
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(raw_sys_exit_ioctl, struct pt_regs *regs)
{
	if (BPF_CORE_READ(regs, orig_ax) == DS_NR_IOCTL)
		ds_on_ioctl_exit();
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
