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

/* tp/<group>/<tp> as tp_<name>, its record (tp_ctx.h) as ctx. */
#define DS_TP(group, tp, name, body)                              \
	SEC("tp/" #group "/" #tp)                                 \
	int tp_##name(struct ds_tp_##name *ctx)                   \
	{                                                         \
		body;                                             \
		return 0;                                         \
	}

/* The classic event records no ring size: 0 = unknown. */
DS_TP(kvm, kvm_dirty_ring_push, dirty_ring_push,
      ds_on_ring_push(ctx->index, ctx->dirty_index, ctx->reset_index, 0))
DS_TP(kvm, kvm_dirty_ring_reset, dirty_ring_reset, ds_on_ring_reset(ctx->index))
DS_TP(kvm, kvm_dirty_ring_exit, dirty_ring_exit, ds_on_ring_exit(ctx->vcpu_id))
DS_TP(kvm, kvm_page_fault, page_fault, ds_on_page_fault((__s32)ctx->vcpu_id, 0))
DS_TP(kvmmmu, fast_page_fault, fast_page_fault, ds_on_page_fault(ctx->vcpu_id, 1))
DS_TP(kvmmmu, kvm_mmu_set_spte, mmu_set_spte, ds_on_set_spte(ctx->spte))

#include "ioctl_tp.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
