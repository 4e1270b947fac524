/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Hand-written contexts of the classic (perf) tracepoints we use, for
 * kernels without BTF. Layouts copied from
 * /sys/kernel/tracing/events/<sys>/<event>/format; they follow the
 * TP_STRUCT__entry of include/trace/events/kvm.h, arch/x86/kvm/mmu/mmutrace.h
 * and the syscall trace events, which have been stable since the events
 * were added. Every struct starts with the 8-byte common header.
 */
#ifndef DIRTYSCOPE_BPF_TP_CTX_H
#define DIRTYSCOPE_BPF_TP_CTX_H

struct ds_tp_common {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
};

/* kvm:kvm_dirty_ring_push */
struct ds_tp_dirty_ring_push {
	struct ds_tp_common common;
	int index; /* ring index == vcpu_id (kvm_dirty_ring_alloc gets the id) */
	__u32 dirty_index;
	__u32 reset_index;
	__u32 slot;
	__u64 offset;
};

/* kvm:kvm_dirty_ring_reset */
struct ds_tp_dirty_ring_reset {
	struct ds_tp_common common;
	int index;
	__u32 dirty_index;
	__u32 reset_index;
};

/* kvm:kvm_dirty_ring_exit */
struct ds_tp_dirty_ring_exit {
	struct ds_tp_common common;
	int vcpu_id;
};

/* kvm:kvm_page_fault */
struct ds_tp_page_fault {
	struct ds_tp_common common;
	unsigned int vcpu_id;
	unsigned long guest_rip;
	__u64 fault_address;
	__u64 error_code;
};

/* kvmmmu:kvm_mmu_set_spte */
struct ds_tp_mmu_set_spte {
	struct ds_tp_common common;
	__u64 gfn;
	__u64 spte;
	__u64 sptep;
	__u8 level;
};

/* kvmmmu:fast_page_fault */
struct ds_tp_fast_page_fault {
	struct ds_tp_common common;
	int vcpu_id;
	__u64 cr2_or_gpa;
	__u64 error_code;
	__u64 sptep;
	__u64 old_spte;
	__u64 new_spte;
	int ret;
};

/* kvm:kvm_mmio (6.1 include/trace/events/kvm.h: type, len, gpa, val). */
struct ds_tp_kvm_mmio {
	struct ds_tp_common common;
	__u32 type;
	__u32 len;
	__u64 gpa;
	__u64 val;
};

/* syscalls:sys_enter_ioctl: syscall arguments are stored as longs. */
struct ds_tp_sys_enter_ioctl {
	struct ds_tp_common common;
	int syscall_nr;
	unsigned long fd;
	unsigned long cmd;
	unsigned long arg;
};

/* syscalls:sys_exit_ioctl */
struct ds_tp_sys_exit_ioctl {
	struct ds_tp_common common;
	int syscall_nr;
	long ret;
};

#endif /* DIRTYSCOPE_BPF_TP_CTX_H */
