/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dirtyscope.ko internals shared by core.c, probes.c, debugfs.c and
 * netlink.c. Nothing here is ABI; the ABI is include/uapi/linux/dirtyscope.h.
 */
#ifndef DIRTYSCOPE_INTERNAL_H
#define DIRTYSCOPE_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

struct kvm;
struct kvm_vcpu;
struct dentry;
struct seq_file;

/* Longest "<pid>-<fd>" plus a collision suffix. */
#define DS_NAME_LEN 40

/*
 * Counters of one vCPU. All are atomics: pushes come from the vCPU thread,
 * resets from whichever thread calls KVM_RESET_DIRTY_RINGS, and
 * RESET_STATS from a netlink caller, all concurrently.
 */
struct ds_counters {
	atomic64_t ring_pushes;
	atomic64_t ring_resets;
	atomic64_t ring_reset_entries;
	atomic64_t ring_full_exits;
	atomic64_t page_faults;
	atomic64_t set_spte;
	atomic64_t set_spte_writable;
	atomic_t ring_size;
	atomic_t ring_high_water;
};

struct ds_vcpu {
	u32 index;		/* kvm_vcpu::vcpu_idx, key in ds_vm::vcpus */
	u32 id;			/* kvm_vcpu::vcpu_id */
	/*
	 * ring->reset_index after the last reset we saw; only touched by the
	 * reset probe, which KVM serialises with kvm->slots_lock.
	 */
	u32 last_reset_index;
	struct ds_counters c;
};

/*
 * One VM. Keyed by the address of its struct kvm, which is used as an
 * opaque number: it is dereferenced only inside a probe fired by that
 * VM's own code, when KVM guarantees the VM is alive. A VM leaves the table
 * when kvm_arch_destroy_vm() runs for it (see probes.c), so a later VM
 * that reuses the address gets a fresh entry.
 *
 * Owner: the table (ds_vms + ds_vm_list) until ds_vm_kill(); then the
 * destroy work, which frees it after an RCU grace period.
 */
struct ds_vm {
	struct hlist_node hnode;	/* ds_vms, by key; RCU */
	struct list_head lnode;		/* ds_vm_list, by id; RCU */
	unsigned long key;
	u64 id;
	pid_t pid;
	int fd;
	char name[DS_NAME_LEN];
	struct xarray vcpus;		/* vcpu_idx -> struct ds_vcpu */
	atomic_t nr_vcpus;
	bool dead;			/* under ds_lock */
	struct dentry *dir;		/* only touched on ds_wq */
	struct work_struct create_work;
	struct work_struct destroy_work;
};

/* core.c */
extern struct workqueue_struct *ds_wq;
extern struct list_head ds_vm_list;
extern atomic64_t ds_unattributed;

struct ds_vcpu *ds_vcpu_get(struct kvm_vcpu *vcpu, struct ds_vm **vmp);
struct ds_vcpu *ds_task_note_vcpu(struct kvm_vcpu *vcpu);
struct ds_vcpu *ds_task_vcpu(struct ds_vm **vmp);
void ds_vm_kill(unsigned long key);
void ds_vm_kill_all(void);
struct ds_vm *ds_vm_find_id(u64 id);
struct ds_vm *ds_vm_find_name(pid_t pid, int fd);
void ds_vm_totals(struct ds_vm *vm, struct ds_counters *sum);
void ds_vm_reset(struct ds_vm *vm);
void ds_counters_snapshot(const struct ds_counters *c, u64 out[9]);

/* Indices into ds_counters_snapshot()'s array; order of the debugfs columns. */
enum {
	DS_C_RING_PUSHES,
	DS_C_RING_RESETS,
	DS_C_RING_RESET_ENTRIES,
	DS_C_RING_FULL_EXITS,
	DS_C_PAGE_FAULTS,
	DS_C_SET_SPTE,
	DS_C_SET_SPTE_WRITABLE,
	DS_C_RING_SIZE,
	DS_C_RING_HIGH_WATER,
	DS_C_NR,
};
extern const char *const ds_counter_names[DS_C_NR];

/* probes.c */
int ds_probes_init(void);
void ds_probes_exit(void);
void ds_probes_show(struct seq_file *m);

/* debugfs.c */
int ds_debugfs_init(void);
void ds_debugfs_exit(void);
void ds_debugfs_add_vm(struct ds_vm *vm);
void ds_debugfs_remove_vm(struct ds_vm *vm);

/* netlink.c */
int ds_netlink_init(void);
void ds_netlink_exit(void);
void ds_netlink_event(struct ds_vm *vm, struct ds_vcpu *vc, u32 event,
		      u64 entries);

#endif /* DIRTYSCOPE_INTERNAL_H */
