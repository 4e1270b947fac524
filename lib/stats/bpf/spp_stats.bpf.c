// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The "bpf" SPP counts source: judges every kvm:kvm_mmio write of the
 * target process to a registered page by the page's vector, as
 * dirtyscope.ko's SPP hooks do, without the module.
 *
 * kvm_mmio's arguments are all scalars (type, len, gpa, val), so nothing
 * here needs kernel BTF or CO-RE: one object serves every host. Two
 * programs, the user side attaches one: raw_tp (needs neither BTF nor
 * tracefs) and, where raw_tp cannot attach, the classic tp (needs tracefs).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tp_ctx.h"
#include "spp_stats.h"

/* Set by the user side between open and load; 0 would mean every process,
 * but the source always sets it (counts are per VM owner). */
const volatile __u32 target_tgid = 0;

/* gfn -> vector, filled by set_vectors(); full access is a deleted key. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DS_SPP_MAX_PAGES);
	__type(key, __u64);
	__type(value, __u32);
} spp_vectors SEC(".maps");

/* Per CPU, so counting needs no atomics; the user side sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ds_spp_counts);
} spp_counts SEC(".maps");

static __always_inline void ds_spp_judge(__u32 type, __u32 len, __u64 gpa)
{
	struct ds_spp_counts *c;
	__u32 *vector, zero = 0;
	__u64 gfn;

	/* As the module: KVM passes len as an int; nothing to judge if <= 0. */
	if (type != DS_KVM_TRACE_MMIO_WRITE || (__s32)len <= 0)
		return;
	if (target_tgid && (__u32)(bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return;
	gfn = gpa / DS_SPP_PAGE_SIZE;
	vector = bpf_map_lookup_elem(&spp_vectors, &gfn);
	if (!vector)
		return;
	c = bpf_map_lookup_elem(&spp_counts, &zero);
	if (!c)
		return;
	if (ds_spp_allows(*vector, gpa, len))
		c->allowed++;
	else
		c->denied++;
}

/* TP_PROTO(int type, int len, u64 gpa, void *val), one u64 slot each. */
SEC("raw_tp/kvm_mmio")
int raw_kvm_mmio(struct bpf_raw_tracepoint_args *ctx)
{
	ds_spp_judge((__u32)ctx->args[0], (__u32)ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tp/kvm/kvm_mmio")
int tp_kvm_mmio(struct ds_tp_kvm_mmio *ctx)
{
	ds_spp_judge(ctx->type, ctx->len, ctx->gpa);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
