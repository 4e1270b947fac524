// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Classic-tracepoint variant: needs no kernel BTF (no CO-RE relocations),
 * only tracefs to look up tracepoint ids at attach time. Used when
 * /sys/kernel/btf/vmlinux is missing. The ring events carry ring->index,
 * which KVM sets to the vCPU id, so per-vCPU attribution still works.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tp_ctx.h"
#include "dirty_stats_common.bpf.h"

SEC("tp/kvm/kvm_dirty_ring_push")
int tp_dirty_ring_push(struct ds_tp_dirty_ring_push *ctx)
{
	/* The classic event records no ring size: 0 = unknown. */
	ds_on_ring_push(ctx->index, ctx->dirty_index, ctx->reset_index, 0);
	return 0;
}

SEC("tp/kvm/kvm_dirty_ring_reset")
int tp_dirty_ring_reset(struct ds_tp_dirty_ring_reset *ctx)
{
	ds_on_ring_reset(ctx->index);
	return 0;
}

SEC("tp/kvm/kvm_dirty_ring_exit")
int tp_dirty_ring_exit(struct ds_tp_dirty_ring_exit *ctx)
{
	ds_on_ring_exit(ctx->vcpu_id);
	return 0;
}

SEC("tp/kvm/kvm_page_fault")
int tp_page_fault(struct ds_tp_page_fault *ctx)
{
	ds_on_page_fault((__s32)ctx->vcpu_id, 0);
	return 0;
}

SEC("tp/kvmmmu/fast_page_fault")
int tp_fast_page_fault(struct ds_tp_fast_page_fault *ctx)
{
	ds_on_page_fault(ctx->vcpu_id, 1);
	return 0;
}

SEC("tp/kvmmmu/kvm_mmu_set_spte")
int tp_mmu_set_spte(struct ds_tp_mmu_set_spte *ctx)
{
	ds_on_set_spte(ctx->spte);
	return 0;
}

#include "ioctl_tp.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
