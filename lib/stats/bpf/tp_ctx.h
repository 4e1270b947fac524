/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Hand-written contexts of the classic (perf) tracepoints we use, for
 * kernels without BTF. Layouts copied from
 * /sys/kernel/tracing/events/<sys>/<event>/format; they follow the
 * TP_STRUCT__entry of include/trace/events/kvm.h, arch/x86/kvm/mmu/mmutrace.h
 * and the syscall trace events, which have been stable since the events
 * were added. Every struct starts with the 8-byte common header and ends
 * with the last field a program reads.
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
};

/* kvm:kvm_dirty_ring_reset */
struct ds_tp_dirty_ring_reset {
	struct ds_tp_common common;
	int index;
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
};

/* kvmmmu:kvm_mmu_set_spte */
struct ds_tp_mmu_set_spte {
	struct ds_tp_common common;
	__u64 gfn;
	__u64 spte;
};

/* kvmmmu:fast_page_fault */
struct ds_tp_fast_page_fault {
	struct ds_tp_common common;
	int vcpu_id;
};

/* kvm:kvm_mmio (6.1 include/trace/events/kvm.h: type, len, gpa, val). */
struct ds_tp_kvm_mmio {
	struct ds_tp_common common;
	__u32 type;
	__u32 len;
	__u64 gpa;
};

/* syscalls:sys_enter_ioctl: syscall arguments are stored as longs. */
struct ds_tp_sys_enter_ioctl {
	struct ds_tp_common common;
	int syscall_nr;
	unsigned long fd;
	unsigned long cmd;
};

/* syscalls:sys_exit_ioctl */
struct ds_tp_sys_exit_ioctl {
	struct ds_tp_common common;
};

#endif /* DIRTYSCOPE_BPF_TP_CTX_H */
