/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Maps, knobs and counting logic shared by both BPF objects:
 *   dirty_stats.bpf.c     CO-RE (tp_btf preferred, raw_tp fallback)
 *   dirty_stats_tp.bpf.c  classic tracepoints, no BTF needed
 * Each object only decodes its hook's arguments and calls a ds_on_*()
 * helper here, so both count exactly the same way.
 * Include after the type definitions and <bpf/bpf_helpers.h>.
 */
#ifndef DIRTYSCOPE_BPF_DIRTY_STATS_COMMON_H
#define DIRTYSCOPE_BPF_DIRTY_STATS_COMMON_H

#include "dirty_stats.h"

#define DS_MAX_ENTRIES 4096
#define DS_SPTE_WRITABLE (1ULL << 1) /* PT_WRITABLE_MASK on x86 */

/* Knobs, set by the user side between open and load. */
const volatile __u32 target_tgid = 0; /* 0: every process */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, DS_MAX_ENTRIES);
	__type(key, struct ds_vcpu_key);
	__type(value, struct ds_vcpu_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, DS_MAX_ENTRIES);
	__type(key, struct ds_ioctl_key);
	__type(value, struct ds_ioctl_hist);
} ioctl_hists SEC(".maps");

/* Thread id -> in-flight dirty-log ioctl. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DS_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct ds_ioctl_start);
} ioctl_start SEC(".maps");

/* Thread id -> last vCPU id seen on that thread. kvm_mmu_set_spte carries
 * no vCPU, so it is attributed through this (one vCPU per thread is how
 * QEMU and the selftests run). LRU so dead threads age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, DS_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, __s32);
} thread_vcpu SEC(".maps");

static __always_inline int ds_wanted(__u32 *tgid, __u32 *tid)
{
	__u64 id = bpf_get_current_pid_tgid();

	*tgid = id >> 32;
	*tid = (__u32)id;
	return target_tgid == 0 || target_tgid == *tgid;
}

static __always_inline struct ds_vcpu_counters *ds_counters(__u32 tgid, __s32 vcpu_id)
{
	struct ds_vcpu_key key = { .tgid = tgid, .vcpu_id = vcpu_id };
	struct ds_vcpu_counters zero = {};
	struct ds_vcpu_counters *c;

	c = bpf_map_lookup_elem(&counters, &key);
	if (c)
		return c;
	/* NOEXIST: a racing CPU may have created it; either way look again. */
	bpf_map_update_elem(&counters, &key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&counters, &key);
}

/* Remember which vCPU this thread runs, for events without a vCPU. */
static __always_inline void ds_note_thread(__u32 tid, __s32 vcpu_id)
{
	bpf_map_update_elem(&thread_vcpu, &tid, &vcpu_id, BPF_ANY);
}

static __always_inline __s32 ds_thread_vcpu(__u32 tid)
{
	__s32 *v = bpf_map_lookup_elem(&thread_vcpu, &tid);

	return v ? *v : DS_VCPU_UNKNOWN;
}

/* The counters for an event of `vcpu_id`, or 0 if the process is not
 * wanted; `note`: the event runs on the vCPU's own thread, remember it. */
static __always_inline struct ds_vcpu_counters *ds_vcpu_event(__s32 vcpu_id, int note)
{
	__u32 tgid, tid;

	if (!ds_wanted(&tgid, &tid))
		return 0;
	if (note)
		ds_note_thread(tid, vcpu_id);
	return ds_counters(tgid, vcpu_id);
}

/* ring_size: entries, 0 if the caller cannot see the ring. */
static __always_inline void ds_on_ring_push(__s32 vcpu_id, __u32 dirty_index, __u32 reset_index,
					    __u32 ring_size)
{
	struct ds_vcpu_counters *c = ds_vcpu_event(vcpu_id, 1);
	__u64 used;

	if (!c)
		return;
	c->ring_pushes++;
	/* Indexes are free-running u32s; the difference is the occupancy even
	 * across wrap-around. */
	used = (__u32)(dirty_index - reset_index);
	if (used > c->occupancy_hwm)
		c->occupancy_hwm = used;
	/* A high-water mark means nothing without the capacity: the user side
	 * judges hwm against it (late soft-full exit, overrun). */
	if (ring_size > c->ring_size)
		c->ring_size = ring_size;
}

/* Resets run on the thread that called KVM_RESET_DIRTY_RINGS, once per
 * vCPU ring, so this does not update thread_vcpu. */
static __always_inline void ds_on_ring_reset(__s32 vcpu_id)
{
	struct ds_vcpu_counters *c = ds_vcpu_event(vcpu_id, 0);

	if (c)
		c->ring_resets++;
}

static __always_inline void ds_on_ring_exit(__s32 vcpu_id)
{
	struct ds_vcpu_counters *c = ds_vcpu_event(vcpu_id, 1);

	if (c)
		c->ring_full_exits++;
}

static __always_inline void ds_on_page_fault(__s32 vcpu_id, int fast)
{
	struct ds_vcpu_counters *c = ds_vcpu_event(vcpu_id, 1);

	if (c && fast)
		c->fast_page_faults++;
	else if (c)
		c->page_faults++;
}

static __always_inline void ds_on_set_spte(__u64 spte)
{
	struct ds_vcpu_counters *c;
	__u32 tgid, tid;

	if (!(spte & DS_SPTE_WRITABLE))
		return;
	if (!ds_wanted(&tgid, &tid))
		return;
	c = ds_counters(tgid, ds_thread_vcpu(tid));
	if (c)
		c->set_spte++;
}

static __always_inline int ds_ioctl_kind(__u32 cmd)
{
	switch (cmd) {
	case DS_KVM_GET_DIRTY_LOG:
		return DS_IOCTL_GET_DIRTY_LOG;
	case DS_KVM_CLEAR_DIRTY_LOG:
		return DS_IOCTL_CLEAR_DIRTY_LOG;
	case DS_KVM_RESET_DIRTY_RINGS:
		return DS_IOCTL_RESET_DIRTY_RINGS;
	default:
		return -1;
	}
}

static __always_inline void ds_on_ioctl_enter(__u32 cmd)
{
	struct ds_ioctl_start start = {};
	__u32 tgid, tid;
	int kind = ds_ioctl_kind(cmd);

	if (kind < 0 || !ds_wanted(&tgid, &tid))
		return;
	start.ts_ns = bpf_ktime_get_ns();
	start.kind = kind;
	bpf_map_update_elem(&ioctl_start, &tid, &start, BPF_ANY);
}

/* 64-bit throughout: a __u32 result makes clang zero-extend it twice, once
 * in the register it bounds-checks and once in the one it indexes with, and
 * 6.1's verifier then sees an unbounded index ("R2 unbounded memory
 * access"; seen in the nested Debian 6.1 guest, which refused the whole
 * object). */
static __always_inline __u64 ds_log2(__u64 v)
{
	__u64 r = 0, shift;

	/* Branch-light binary search the verifier accepts without loops. */
	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline void ds_on_ioctl_exit(void)
{
	struct ds_ioctl_hist zero = {};
	struct ds_ioctl_start *start;
	struct ds_ioctl_hist *h;
	struct ds_ioctl_key key;
	__u32 tgid, tid;
	__u64 delta, slot;

	if (!ds_wanted(&tgid, &tid))
		return;
	start = bpf_map_lookup_elem(&ioctl_start, &tid);
	if (!start)
		return;
	delta = bpf_ktime_get_ns() - start->ts_ns;
	key.tgid = tgid;
	key.kind = start->kind;
	bpf_map_delete_elem(&ioctl_start, &tid);

	h = bpf_map_lookup_elem(&ioctl_hists, &key);
	if (!h) {
		bpf_map_update_elem(&ioctl_hists, &key, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&ioctl_hists, &key);
		if (!h)
			return;
	}
	slot = ds_log2(delta);
	if (slot >= DS_HIST_SLOTS)
		slot = DS_HIST_SLOTS - 1;
	h->slots[slot]++;
	h->count++;
	h->total_ns += delta;
}

#endif /* DIRTYSCOPE_BPF_DIRTY_STATS_COMMON_H */
