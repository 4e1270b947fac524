/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Key/value layout shared by the BPF programs (dirty_stats*.bpf.c) and the
 * user side (bpf_stats_source.cpp). Plain C with __u32/__u64 so both
 * clang -target bpf (types from vmlinux.h or linux/types.h) and g++ (types
 * from linux/types.h) see the same bytes. Change both sides together.
 */
#ifndef DIRTYSCOPE_BPF_DIRTY_STATS_H
#define DIRTYSCOPE_BPF_DIRTY_STATS_H

/* log2 latency buckets: slot i holds [2^i, 2^(i+1)) ns, slot 0 also 0 ns.
 * 2^40 ns is ~18 minutes, well past any ioctl we time. */
#define DS_HIST_SLOTS 40

/* vCPU id used when an event cannot be tied to a vCPU (e.g. set_spte on a
 * thread that has not yet produced a vCPU-carrying event). */
#define DS_VCPU_UNKNOWN (-1)

/* ioctl numbers, spelled out so the BPF side needs no uapi header; the user
 * side static_asserts them against <linux/kvm.h>. */
#define DS_KVM_GET_DIRTY_LOG     0x4010ae42u /* _IOW(KVMIO, 0x42, struct kvm_dirty_log) */
#define DS_KVM_CLEAR_DIRTY_LOG   0xc018aec0u /* _IOWR(KVMIO, 0xc0, struct kvm_clear_dirty_log) */
#define DS_KVM_RESET_DIRTY_RINGS 0x0000aec7u /* _IO(KVMIO, 0xc7) */

enum ds_ioctl_kind {
	DS_IOCTL_GET_DIRTY_LOG = 0,
	DS_IOCTL_CLEAR_DIRTY_LOG = 1,
	DS_IOCTL_RESET_DIRTY_RINGS = 2,
};

/* counters map: one entry per (process, vCPU). */
struct ds_vcpu_key {
	__u32 tgid;
	__s32 vcpu_id;
};

/* Per-CPU values: the user side sums the counters over CPUs and takes the
 * max of occupancy_hwm. Per-CPU maps spare the hot path any atomics. */
struct ds_vcpu_counters {
	__u64 ring_pushes;
	__u64 ring_resets;
	__u64 ring_full_exits;
	__u64 page_faults;
	__u64 fast_page_faults;
	__u64 set_spte;       /* set_spte events that installed a writable SPTE */
	__u64 occupancy_hwm;  /* max(dirty_index - reset_index) seen at push */
	/* Ring capacity in entries (struct kvm_dirty_ring::size) as seen at
	 * a push; 0 where the hook cannot see the ring (classic tp: the event
	 * has no size field). Constant per ring, so the user side takes the
	 * max over CPUs like the high-water mark. */
	__u64 ring_size;
};

/* ioctl latency map: one entry per (process, ioctl kind). */
struct ds_ioctl_key {
	__u32 tgid;
	__u32 kind; /* enum ds_ioctl_kind */
};

struct ds_ioctl_hist {
	__u64 count;
	__u64 total_ns;
	__u64 slots[DS_HIST_SLOTS];
};

/* In-flight ioctl, keyed by thread id between sys_enter and sys_exit. */
struct ds_ioctl_start {
	__u64 ts_ns;
	__u32 kind;
	__u32 pad;
};

#endif /* DIRTYSCOPE_BPF_DIRTY_STATS_H */
