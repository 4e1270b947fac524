// SPDX-License-Identifier: GPL-2.0
/*
 * The VM table: finding or starting to track the VM of a probe, its
 * publication (numbered, in ds_vm_list), the pending list of VMs still
 * waiting for a name, teardown and the lookups netlink uses.
 *
 * Locking: ds_lock (a raw spinlock: probes take it, maybe with interrupts
 * off, where a spinlock_t would sleep on PREEMPT_RT; nothing under it
 * sleeps or allocates) serialises writers of ds_vms,
 * ds_vm_list, ds_pending and ds_tasks (attribution.c). Readers (probes,
 * debugfs, netlink) use RCU. Objects leave the tables under ds_lock and
 * are freed after a grace period.
 *
 * Probe context never allocates or walks a file table: a VM, vCPU or task
 * entry comes from pool.c, and a VM whose name needs its fd (KVM gave it
 * no debugfs directory) waits in ds_pending until ds_wq found the fd; its
 * events meanwhile count as DS_D_PENDING_EVENTS. Everything not counted
 * is counted as a drop (ds_drop), per VM where there is one.
 */
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/kvm_host.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>

#include "dirtyscope.h"
#include "vm_table.h"

/*
 * Writable by root at run time, so a test can fill the table on purpose
 * (0: track no new VM) and see the drops counted.
 */
static unsigned int max_vms = 1024;
module_param(max_vms, uint, 0600);
MODULE_PARM_DESC(max_vms, "most VMs tracked at once; beyond, their events count as dropped");

DEFINE_RAW_SPINLOCK(ds_lock);
static DEFINE_HASHTABLE(ds_vms, 6);
LIST_HEAD(ds_vm_list);
static HLIST_HEAD(ds_pending);		/* VMs waiting for their name */
static unsigned int ds_nr_vms;		/* under ds_lock, pending ones too */
static u64 ds_last_id;			/* under ds_lock */

struct ds_vm *ds_vm_lookup(unsigned long key)
{
	struct ds_vm *vm;

	hash_for_each_possible_rcu(ds_vms, vm, hnode, key,
				   lockdep_is_held(&ds_lock))
		if (vm->key == key)
			return vm;
	return NULL;
}

/* ds_lock held: a new VM enters the table, numbered. */
static void ds_vm_publish(struct ds_vm *vm)
{
	lockdep_assert_held(&ds_lock);
	vm->id = ++ds_last_id;
	hash_add_rcu(ds_vms, &vm->hnode, vm->key);
	/* Appending under the lock keeps ds_vm_list sorted by id. */
	list_add_tail_rcu(&vm->lnode, &ds_vm_list);
}

static void ds_vm_create_work(struct work_struct *work)
{
	struct ds_vm *vm = container_of(work, struct ds_vm, create_work);
	bool dead;

	if (vm->task) {
		/* Not yet visible to anyone but ds_lock holders: name it now. */
		ds_vm_fd_name(vm);
		raw_spin_lock(&ds_lock);
		dead = vm->dead;
		if (!dead) {
			hlist_del_init(&vm->hnode);
			vm->pending = false;
			ds_vm_publish(vm);
		}
		raw_spin_unlock(&ds_lock);
		/* Killed while pending: its destroy work, queued after us, frees it. */
		if (dead)
			return;
	}
	ds_debugfs_add_vm(vm);
}

/* An entry from the pool, or one that left every table: no reader left. */
void ds_vm_free(struct ds_vm *vm)
{
	struct ds_vcpu *vc;
	unsigned long i;

	ds_spp_destroy(&vm->spp);
	ds_for_each_vcpu(vm, i, vc)
		ds_free(vc);
	ds_free(vm->vcpus);
	if (vm->task)
		put_task_struct(vm->task);
	if (vm->mm)
		mmdrop(vm->mm);
	ds_free(vm);
}

/*
 * Dead VMs whose readers may still run. One work frees them in batches:
 * one RCU and one SRCU grace period per batch, not per VM, and off ds_wq,
 * which must stay free to refill the pools and name new VMs.
 */
static LLIST_HEAD(ds_dead);

static void ds_vm_reap(struct work_struct *work)
{
	struct llist_node *batch = llist_del_all(&ds_dead);
	struct ds_vm *vm, *tmp;

	/* Probes and netlink handlers that found them under RCU are done. */
	synchronize_rcu();
	/* So are the sleeping ones (SPP_SET) that hold them under SRCU. */
	synchronize_srcu(&ds_vm_srcu);
	llist_for_each_entry_safe(vm, tmp, batch, reap)
		ds_vm_free(vm);
}
static DECLARE_WORK(ds_reap_work, ds_vm_reap);

void ds_vm_reap_flush(void)
{
	flush_work(&ds_reap_work);
}

static void ds_vm_destroy_work(struct work_struct *work)
{
	struct ds_vm *vm = container_of(work, struct ds_vm, destroy_work);

	/* debugfs_remove() waits for open readers of vm's stats file. */
	ds_debugfs_remove_vm(vm);
	/* Id 0: killed while pending, never numbered, no task points at it. */
	if (vm->id)
		ds_task_forget(vm->id);
	/* The first of a batch queues the reaper; later ones join the batch. */
	if (llist_add(&vm->reap, &ds_dead))
		queue_work(ds_unbound_wq, &ds_reap_work);
}

static struct ds_vm *ds_pending_lookup(unsigned long key)
{
	struct ds_vm *vm;

	lockdep_assert_held(&ds_lock);
	hlist_for_each_entry(vm, &ds_pending, hnode)
		if (vm->key == key)
			return vm;
	return NULL;
}

/*
 * Test knob (debugfs fault/same_key, root only): every VM gets one key, so
 * VMs run one after another meet each other's entries exactly as when a
 * struct kvm is allocated where a dead one was, and the teardown hook
 * (which looks up the real address) never removes them, as when it
 * cannot fire.
 */
bool ds_fault_same_key;

/*
 * vm sits at the key of kvm but belongs to an older VM: another process's,
 * or an older one of the same process (its KVM debugfs directory was
 * another). The second needs no hook-less kernel: an armed teardown hook
 * may never fire (echo 0 > /sys/kernel/debug/kprobes/enabled).
 */
static bool ds_vm_stale(struct ds_vm *vm, struct kvm *kvm)
{
	if (vm->mm != kvm->mm)
		return true;
	return vm->kvm_dir_ino && vm->kvm_dir_ino != ds_kvm_dir_ino(kvm);
}

static void ds_vm_unlink(struct ds_vm *vm);

/*
 * ds_lock held. The entry at kvm's key is another VM's whose teardown we
 * missed: it goes now, so its owner and counters never pass to kvm.
 */
static void ds_vm_drop_stale(struct ds_vm *vm)
{
	lockdep_assert_held(&ds_lock);
	ds_vm_unlink(vm);
	queue_work(ds_wq, &vm->destroy_work);
}

/*
 * Find or start tracking the VM of a probe. Probe context (atomic, maybe
 * interrupts off): the entry comes from the pool, the name from KVM's
 * debugfs directory; without one the VM waits in ds_pending for ds_wq to
 * find its fd, and NULL is returned meanwhile. event: the caller loses a
 * counted event if NULL is returned.
 */
struct ds_vm *ds_vm_get(struct kvm *kvm, bool event)
{
	unsigned long key = READ_ONCE(ds_fault_same_key) ? 1 : (unsigned long)kvm;
	struct ds_vm *vm, *fresh;
	int why = -1;

	/*
	 * The address is only a hint: an entry is this VM's only if it
	 * pins this VM's mm (see ds_vm::mm).
	 */
	vm = ds_vm_lookup(key);
	if (likely(vm && !ds_vm_stale(vm, kvm)))
		return vm;

	/* Taken and named outside ds_lock; returned if we lose a race. */
	fresh = ds_pool_take_vm();
	if (fresh) {
		INIT_WORK(&fresh->create_work, ds_vm_create_work);
		INIT_WORK(&fresh->destroy_work, ds_vm_destroy_work);
		fresh->key = key;
		/*
		 * current runs this VM (a probe of its own code fired). Its
		 * owner is its creator: a thread of another process (the fd
		 * was passed on) does not make the VM its own.
		 */
		fresh->owner = current->mm == kvm->mm ? current_euid() :
							INVALID_UID;
		fresh->pid = task_tgid_nr(current);
		if (!ds_vm_debugfs_name(fresh, kvm)) {
			fresh->task = current;
			get_task_struct(current);
		}
	}

	raw_spin_lock(&ds_lock);
	vm = ds_vm_lookup(key);
	if (vm && ds_vm_stale(vm, kvm)) {
		ds_vm_drop_stale(vm);
		vm = NULL;
	}
	if (vm)
		goto out;
	vm = ds_pending_lookup(key);
	if (vm && ds_vm_stale(vm, kvm)) {
		ds_vm_drop_stale(vm);
		vm = NULL;
	}
	if (vm) {
		if (event) {
			ds_drop(vm, DS_D_PENDING_EVENTS);
			ds_drop(vm, DS_D_EVENTS);
		}
		vm = NULL;
		goto out;
	}
	if (ds_nr_vms >= READ_ONCE(max_vms)) {
		why = DS_D_VM_TABLE_FULL;
		goto out;
	}
	if (!fresh) {
		why = DS_D_VM_ALLOC;
		goto out;
	}
	vm = fresh;
	fresh = NULL;
	/* Pinned (not its address space, only the struct) until vm is freed. */
	vm->mm = kvm->mm;
	mmgrab(vm->mm);
	ds_nr_vms++;
	if (vm->task) {
		vm->pending = true;
		hlist_add_head(&vm->hnode, &ds_pending);
		if (event) {
			ds_drop(vm, DS_D_PENDING_EVENTS);
			ds_drop(vm, DS_D_EVENTS);
		}
	} else {
		ds_vm_publish(vm);
	}
	/*
	 * Names a pending VM, then adds the debugfs directory (which may
	 * sleep); the ordered ds_wq runs it before the VM's destroy work.
	 */
	queue_work(ds_wq, &vm->create_work);
	if (vm->pending)
		vm = NULL;
out:
	raw_spin_unlock(&ds_lock);
	if (why >= 0) {
		ds_drop(NULL, why);
		if (event)
			ds_drop(NULL, DS_D_EVENTS);
	}
	if (fresh) {
		if (fresh->task) {
			/* Not the last reference: current is running. */
			put_task_struct(fresh->task);
			fresh->task = NULL;
		}
		ds_pool_put_vm(fresh);
	}
	return vm;
}

static void ds_vm_unlink(struct ds_vm *vm)
{
	lockdep_assert_held(&ds_lock);
	vm->dead = true;
	if (vm->pending) {
		/* Never published: only ds_lock holders knew it. */
		hlist_del_init(&vm->hnode);
		vm->pending = false;
	} else {
		hash_del_rcu(&vm->hnode);
		list_del_rcu(&vm->lnode);
	}
	ds_nr_vms--;
}

/*
 * The VM whose struct kvm is at key is being destroyed (kvm_arch_destroy_vm
 * probe, process context). Stop finding it now, so a VM allocated at the
 * same address later is a new VM; free it from the workqueue.
 */
void ds_vm_kill(unsigned long key)
{
	struct ds_vm *vm;

	raw_spin_lock(&ds_lock);
	vm = ds_vm_lookup(key) ?: ds_pending_lookup(key);
	if (vm)
		ds_vm_unlink(vm);
	raw_spin_unlock(&ds_lock);
	if (vm)
		queue_work(ds_wq, &vm->destroy_work);
}

/* Drop every VM: KVM is going away, or we are. Probes must be detached. */
void ds_vm_kill_all(void)
{
	struct ds_vm *vm;

	for (;;) {
		raw_spin_lock(&ds_lock);
		vm = list_first_entry_or_null(&ds_vm_list, struct ds_vm, lnode);
		if (!vm && !hlist_empty(&ds_pending))
			vm = hlist_entry(ds_pending.first, struct ds_vm, hnode);
		if (vm)
			ds_vm_unlink(vm);
		raw_spin_unlock(&ds_lock);
		if (!vm)
			break;
		queue_work(ds_wq, &vm->destroy_work);
	}
}

/* Lookups for netlink; caller holds rcu_read_lock(). */
struct ds_vm *ds_vm_find_id(u64 id)
{
	struct ds_vm *vm;

	list_for_each_entry_rcu(vm, &ds_vm_list, lnode)
		if (vm->id == id)
			return vm;
	return NULL;
}

struct ds_vm *ds_vm_find_name(pid_t pid, int fd)
{
	struct ds_vm *vm;

	list_for_each_entry_rcu(vm, &ds_vm_list, lnode)
		if (vm->pid == pid && vm->fd == fd)
			return vm;
	return NULL;
}
