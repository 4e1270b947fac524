/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dirtyscope.ko internals shared by its files (core.c, vm_table.c,
 * attribution.c, counters.c, probes*.c, debugfs.c, netlink*.c, spp*.c,
 * pool.c); vm_table.h and probes.h hold what only a few of them share.
 * Nothing here is ABI; the ABI is include/uapi/linux/dirtyscope.h.
 */
#ifndef DIRTYSCOPE_INTERNAL_H
#define DIRTYSCOPE_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/uidgid.h>
#include <linux/types.h>
#include <linux/version.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "rate.h"

/*
 * The system's unbound workqueue. 6.17 named it system_dfl_wq, and from
 * 7.2 work queued on the old name logs "enqueued on deprecated workqueue".
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define ds_unbound_wq system_dfl_wq
#else
#define ds_unbound_wq system_unbound_wq
#endif

struct kvm;
struct mm_struct;
struct kvm_vcpu;
struct dentry;
struct netlink_ext_ack;
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
	struct hlist_node pnode;	/* in the pool (pool.c) until used */
	u32 index;		/* kvm_vcpu::vcpu_idx, key in ds_vm::vcpus */
	u32 id;			/* kvm_vcpu::vcpu_id */
	/*
	 * ring->reset_index after the last reset we saw; only touched by the
	 * reset probe, which KVM serialises with kvm->slots_lock.
	 */
	u32 last_reset_index;
	struct ds_counters c;
};

/* One SPP-registered guest page. */
struct ds_spp_page {
	u32 vector;			/* WRITE_ONCE under ds_spp::lock */
	atomic64_t allowed;
	atomic64_t denied;
	struct rcu_head rcu;
};

/*
 * Sub-page write protection of one VM (spp.c): gfn -> struct ds_spp_page.
 * Readers (the kvm_mmio probe, debugfs, netlink GET) use RCU; writers
 * (SPP_SET, teardown) hold lock. Pages are freed after a grace period.
 */
struct ds_spp {
	struct xarray pages;
	struct mutex lock;		/* writers of pages, nr_pages */
	atomic_t nr_pages;		/* read locklessly by the probe's fast path */
	atomic64_t allowed;		/* VM totals; never decrease on unregister */
	atomic64_t denied;
	atomic64_t events_dropped;
	/* SPP_DENIED rate limit (rate.h). */
	struct ds_rate limit;
};

/*
 * What the module saw but could not count, by reason: indices into
 * ds_drops.n, in the order of enum dirtyscope_drop (uapi) after its PAD.
 * Module-wide counts (ds_module_drops) include every VM's.
 */
enum {
	DS_D_EVENTS,		/* counted events lost: VM or vCPU untracked */
	DS_D_PENDING_EVENTS,	/* of those: the VM waited for the workqueue */
	DS_D_VM_ALLOC,		/* module: no VM entry in the pool */
	DS_D_VM_TABLE_FULL,	/* module: max_vms reached */
	DS_D_VCPU_ALLOC,	/* no vCPU entry, or no room in the VM's table */
	DS_D_TASK,		/* module: no task attribution entry */
	DS_D_NOTIFY,		/* ring notifications not built or not delivered */
	DS_D_NOTIFY_LIMIT,	/* ring notifications over the VM's rate limit */
	DS_D_NR,
};
struct ds_drops {
	atomic64_t n[DS_D_NR];
};
extern const char *const ds_drop_names[DS_D_NR];

/*
 * One VM. Keyed by the address of its struct kvm, which is used as an
 * opaque number: it is dereferenced only inside a probe fired by that
 * VM's own code, when KVM guarantees the VM is alive. A VM leaves the table
 * when kvm_arch_destroy_vm() runs for it (see teardown.c). That hook may
 * be missing or never fire, so the address alone does not identify the
 * VM: see mm.
 *
 * Owner: the table (ds_vms + ds_vm_list) until ds_vm_kill(); then the
 * destroy work, which hands it to the reaper (vm_table.c); that frees it
 * after RCU and SRCU grace periods shared with the other VMs of its batch.
 */
struct ds_vm {
	/*
	 * ds_vms, by key (RCU); before that, the pool's list or, while its
	 * name waits for the workqueue, ds_pending (under ds_lock only).
	 */
	struct hlist_node hnode;
	struct list_head lnode;		/* ds_vm_list, by id; RCU */
	unsigned long key;
	u64 id;
	pid_t pid;
	int fd;
	/*
	 * The creating process's kvm->mm, pinned (mmgrab) while the entry
	 * lives, so no other process's mm can sit at that address: a
	 * struct kvm at the same key with another mm is another VM, and
	 * finding it replaces this (stale) entry instead of inheriting it.
	 */
	struct mm_struct *mm;
	/*
	 * The inode number of KVM's debugfs directory of this VM, 0 if it
	 * had none (vm_name.c). When the teardown hook is missing
	 * (probes.h) or armed but never fires (kprobes disabled globally), a
	 * dead VM's entry stays at its key, and the same process may create
	 * a VM whose struct kvm lands at that address: same mm, but a new
	 * directory, whose inode number is a new one. Every probe reaches
	 * the VM through a vCPU that runs or an ioctl on it, so the struct
	 * kvm it reads the directory from is alive, its directory too.
	 */
	unsigned long kvm_dir_ino;
	/*
	 * Effective uid of the creating process's thread that first ran
	 * it: the "owner" that may read and reset it and set its SPP
	 * vectors (access.h). INVALID_UID when another process ran it
	 * first (its fd was passed on): then only privileged callers may.
	 */
	kuid_t owner;
	char name[DS_NAME_LEN];
	/*
	 * vcpu_idx -> struct ds_vcpu: a flat array with a slot for every
	 * index KVM may give (vcpu_slots), allocated with the entry, so a
	 * probe stores a new vCPU with one cmpxchg: no lock, no allocation.
	 * vcpu_end: one past the highest index stored.
	 */
	struct ds_vcpu **vcpus;
	u32 vcpu_slots;
	atomic_t vcpu_end;
	atomic_t nr_vcpus;
	bool dead;			/* under ds_lock */
	bool pending;			/* in ds_pending, not ds_vms; under ds_lock */
	/* Pending only: the thread that first ran it, to find its fd. */
	struct task_struct *task;
	struct ds_drops drops;		/* the reasons charged to one VM */
	/* Incremented by each RESET_STATS that zeroes this VM's counters. */
	atomic64_t reset_gen;
	/* Ring notifications (RING_RESET, RING_FULL) of this VM (rate.h). */
	struct ds_rate ring_events;
	struct ds_spp spp;
	struct dentry *dir;		/* only touched on ds_wq */
	struct work_struct create_work;
	struct work_struct destroy_work;
	struct llist_node reap;		/* dead, waiting for a grace period */
};

/*
 * core.c: every object the module allocates for itself (VMs, vCPUs, task
 * attributions, SPP pages) goes through ds_zalloc()/ds_free(), so
 * allocations minus frees is what it holds right now: debugfs
 * "allocations", and the exit line a load/unload churn test compares.
 * Netlink messages are not counted: the networking core owns them once
 * built.
 */
extern atomic64_t ds_allocs;
extern atomic64_t ds_frees;
void *ds_zalloc(size_t size, gfp_t gfp);
void ds_free(const void *p);
/*
 * kfree_rcu(), counted when handed to RCU: module exit waits for those
 * callbacks with rcu_barrier(), so by then the count is true.
 */
#define ds_free_rcu(p, field)				\
	do {						\
		atomic64_inc(&ds_frees);		\
		kfree_rcu(p, field);			\
	} while (0)

/*
 * kvmmmu:kvm_mmu_set_spte carries no vCPU. It fires in the thread running
 * the vCPU, after a VM exit of that vCPU, so each task's last-exited vCPU
 * (learned from kvm:kvm_exit and kvm:kvm_page_fault) attributes it. The
 * entry holds a reference on its task (so the task_struct is not reused
 * while the entry exists) until the thread has exited and the entry is
 * reaped (attribution.c), or its VM dies. Fields other than hnode are
 * written only by the task itself.
 */
struct ds_task {
	struct hlist_node hnode;	/* ds_tasks (RCU), or the pool */
	struct task_struct *task;
	unsigned long key;
	u64 vm_id;
	u32 vcpu_idx;
	struct rcu_head rcu;
};

/* core.c */
extern struct workqueue_struct *ds_wq;
/* counters.c */
extern struct ds_drops ds_module_drops;
/* Incremented by each RESET_STATS of every VM (it zeroes the module's too). */
extern atomic64_t ds_module_reset_gen;
/* Counts a drop for vm (if any) and module-wide. Any context. */
void ds_drop(struct ds_vm *vm, int why);
void ds_drops_snapshot(const struct ds_drops *d, u64 out[DS_D_NR]);
void ds_module_reset(void);
/* vm_table.c. Frees an entry that never was, or no longer is, in any table. */
void ds_vm_free(struct ds_vm *vm);

/*
 * pool.c: entries the probes take instead of allocating in probe context
 * (possibly with interrupts off, e.g. kvm_exit on VMX); a work item on
 * ds_wq refills them with GFP_KERNEL. Empty pool: the caller counts a drop.
 * The fault counters (debugfs fault/, root only) make the next N takes
 * fail, so tests can see the drops counted.
 */
extern atomic_t ds_fault_vm_alloc;
extern atomic_t ds_fault_vcpu_alloc;
extern atomic_t ds_fault_task_alloc;
extern atomic_t ds_fault_no_name;
int ds_pool_init(void);
void ds_pool_exit(void);
struct ds_vm *ds_pool_take_vm(void);
void ds_pool_put_vm(struct ds_vm *vm);
struct ds_vcpu *ds_pool_take_vcpu(void);
void ds_pool_put_vcpu(struct ds_vcpu *vc);
struct ds_task *ds_pool_take_task(void);
void ds_pool_put_task(struct ds_task *t);
void ds_pool_show(struct seq_file *m);
/* vm_table.c: published VMs, by id; counters.c: set_spte of no task's vCPU. */
extern struct list_head ds_vm_list;
extern atomic64_t ds_unattributed;
/*
 * Held by netlink handlers that sleep while using a VM (SPP_SET): the
 * destroy work waits for them before freeing it.
 */
extern struct srcu_struct ds_vm_srcu;

/*
 * attribution.c. event: the caller counts an event, so a missing VM or
 * vCPU loses one (DS_D_EVENTS); kvm_exit only notes the vCPU for
 * attribution.
 */
struct ds_vcpu *ds_vcpu_get(struct kvm_vcpu *vcpu, struct ds_vm **vmp,
			    bool event);
struct ds_vcpu *ds_task_note_vcpu(struct kvm_vcpu *vcpu, bool event);
struct ds_vcpu *ds_task_vcpu(struct ds_vm **vmp);
/* vm_table.c */
void ds_vm_kill(unsigned long key);
void ds_vm_kill_all(void);
/* Returns once every VM destroyed so far (ds_wq flushed first) is freed. */
void ds_vm_reap_flush(void);
struct ds_vm *ds_vm_find_id(u64 id);
struct ds_vm *ds_vm_find_name(pid_t pid, int fd);
/* counters.c */
void ds_vm_totals(struct ds_vm *vm, struct ds_counters *sum);
void ds_vm_reset(struct ds_vm *vm);
void ds_counters_snapshot(const struct ds_counters *c, u64 out[9]);

/* *v = max(*v, val), unsigned, lockless. */
static inline void ds_atomic_max(atomic_t *v, u32 val)
{
	u32 old = atomic_read(v);

	while (val > old) {
		u32 seen = atomic_cmpxchg(v, old, val);

		if (seen == old)
			break;
		old = seen;
	}
}

/* Every vCPU of vm (under RCU, or with no writer left). */
#define ds_for_each_vcpu(vm, i, vc)					\
	for ((i) = 0; (i) < (unsigned long)atomic_read(&(vm)->vcpu_end); (i)++) \
		if (!((vc) = READ_ONCE((vm)->vcpus[i]))) {} else

/* vm_table.c: debugfs fault/same_key. */
extern bool ds_fault_same_key;

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

/* spp.c */
void ds_spp_init(struct ds_spp *spp);
void ds_spp_destroy(struct ds_spp *spp);
void ds_spp_reset(struct ds_spp *spp);
int ds_spp_set(struct ds_spp *spp, u64 gfn, u32 npages, u32 vector,
	       struct netlink_ext_ack *extack);
/* Under RCU. False if gfn is not registered (then vector is full access). */
bool ds_spp_get(struct ds_spp *spp, u64 gfn, u32 *vector, u64 *allowed,
		u64 *denied);
/* The kvm_mmio probe's work for a guest write; probe context, under RCU. */
void ds_spp_write(struct ds_vm *vm, struct ds_vcpu *vc, u64 gpa, u32 len,
		  const void *val);
void ds_spp_show(struct seq_file *m, struct ds_spp *spp);

/* spp_caps.c */
void ds_spp_caps_show(struct seq_file *m);

/* attach.c (the probes: probes.c, probes_<arch>.c; probes.h) */
int ds_probes_init(void);
void ds_probes_exit(void);
void ds_probes_show(struct seq_file *m);

/* debugfs.c */
int ds_debugfs_init(void);
void ds_debugfs_exit(void);
void ds_debugfs_add_vm(struct ds_vm *vm);
void ds_debugfs_remove_vm(struct ds_vm *vm);

/* netlink.c */
struct genl_family;
struct genl_info;
struct netlink_callback;
struct nlattr;
struct sk_buff;
extern struct genl_family ds_family;
int ds_netlink_init(void);
void ds_netlink_exit(void);
void ds_netlink_event(struct ds_vm *vm, struct ds_vcpu *vc, u32 event,
		      u64 entries);
bool ds_netlink_has_listeners(void);
struct ds_vm *ds_select_attrs(const struct sk_buff *skb, struct nlattr **a,
			      struct netlink_ext_ack *extack, int *err);
/* A dump's first call: the request's attributes, into a[DIRTYSCOPE_ATTR_MAX + 1]. */
int ds_dump_attrs(struct netlink_callback *cb, struct nlattr **a);
/*
 * A dump's later calls: the VM its first call chose (id in cb->args[0]), or
 * NULL with the dump marked done (cb->args[2]) when it is gone since.
 */
struct ds_vm *ds_dump_vm_again(struct netlink_callback *cb);
/*
 * notify.c: notifications leave probe context as notes, copied into a
 * fixed ring and sent by a work item.
 */
struct ds_note {
	u32 event;			/* enum dirtyscope_event */
	u32 vcpu_idx;
	u64 vm_id;
	pid_t pid;
	int fd;
	char name[DS_NAME_LEN];
	u64 entries;			/* RING_RESET */
	u64 gpa, value;			/* SPP_DENIED */
	u32 len;
};
void ds_note_init(struct ds_note *n, struct ds_vm *vm, struct ds_vcpu *vc,
		  u32 event);
bool ds_notify_queue(const struct ds_note *n);
/* Returns once every note queued so far is sent or counted lost. */
void ds_notify_flush(void);
/* netlink_stats.c: the statistics commands. */
int ds_put_vm_id(struct sk_buff *skb, struct ds_vm *vm);
int ds_nl_list_vms(struct sk_buff *skb, struct netlink_callback *cb);
int ds_nl_get_stats(struct sk_buff *skb, struct genl_info *info);
int ds_nl_get_stats_dump(struct sk_buff *skb, struct netlink_callback *cb);
int ds_nl_reset_stats(struct sk_buff *skb, struct genl_info *info);
int ds_nl_get_module(struct sk_buff *skb, struct genl_info *info);
/* netlink_spp.c: the SPP commands. */
int ds_nl_spp_set(struct sk_buff *skb, struct genl_info *info);
int ds_nl_spp_get(struct sk_buff *skb, struct genl_info *info);
int ds_nl_spp_dump(struct sk_buff *skb, struct netlink_callback *cb);
/* netlink_spp.c; probe context. 0 sent, else why not (a dropped event). */
int ds_netlink_spp_denied(struct ds_vm *vm, struct ds_vcpu *vc, u64 gpa,
			  u32 len, u64 value);

#endif /* DIRTYSCOPE_INTERNAL_H */
