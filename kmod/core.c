// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope.ko: per-VM and per-vCPU statistics of KVM dirty-page tracking,
 * gathered from KVM's tracepoints. This file owns the VM table, the vCPU
 * attribution of events that carry no vCPU, and module init/exit.
 *
 * Locking: ds_lock (a plain spinlock; every user runs in process context,
 * probes with preemption disabled) serialises writers of ds_vms,
 * ds_vm_list, ds_pending and ds_tasks. Readers (probes, debugfs, netlink)
 * use RCU. Objects leave the tables under ds_lock and are freed after a
 * grace period.
 *
 * Probe context never allocates or walks a file table: a VM, vCPU or task
 * entry comes from pool.c, and a VM whose name needs its fd (KVM gave it
 * no debugfs directory) waits in ds_pending until ds_wq found the fd; its
 * events meanwhile count as DS_D_PENDING_EVENTS. Everything not counted
 * is counted as a drop (ds_drop), per VM where there is one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "dirtyscope.h"

/* Bounds so a host running many VMs cannot make us eat memory unchecked. */
#define DS_MAX_TASKS	4096

/*
 * Writable by root at run time, so a test can fill the table on purpose
 * (0: track no new VM) and see the drops counted.
 */
static unsigned int max_vms = 1024;
module_param(max_vms, uint, 0600);
MODULE_PARM_DESC(max_vms, "most VMs tracked at once; beyond, their events count as dropped");

static DEFINE_SPINLOCK(ds_lock);
static DEFINE_HASHTABLE(ds_vms, 6);
LIST_HEAD(ds_vm_list);
static HLIST_HEAD(ds_pending);		/* VMs waiting for their name */
static unsigned int ds_nr_vms;		/* under ds_lock, pending ones too */
static u64 ds_last_id;			/* under ds_lock */

struct ds_drops ds_module_drops;
atomic64_t ds_module_reset_gen = ATOMIC64_INIT(0);

const char *const ds_drop_names[DS_D_NR] = {
	[DS_D_EVENTS]		= "events",
	[DS_D_PENDING_EVENTS]	= "pending_events",
	[DS_D_VM_ALLOC]		= "vm_alloc",
	[DS_D_VM_TABLE_FULL]	= "vm_table_full",
	[DS_D_VCPU_ALLOC]	= "vcpu_alloc",
	[DS_D_TASK]		= "task",
	[DS_D_NOTIFY]		= "notify",
};

struct workqueue_struct *ds_wq;
atomic64_t ds_allocs = ATOMIC64_INIT(0);
atomic64_t ds_frees = ATOMIC64_INIT(0);
atomic64_t ds_unattributed = ATOMIC64_INIT(0);
struct srcu_struct ds_vm_srcu;

const char *const ds_counter_names[DS_C_NR] = {
	[DS_C_RING_PUSHES]		= "ring_pushes",
	[DS_C_RING_RESETS]		= "ring_resets",
	[DS_C_RING_RESET_ENTRIES]	= "ring_reset_entries",
	[DS_C_RING_FULL_EXITS]		= "ring_full_exits",
	[DS_C_PAGE_FAULTS]		= "page_faults",
	[DS_C_SET_SPTE]			= "set_spte",
	[DS_C_SET_SPTE_WRITABLE]	= "set_spte_writable",
	[DS_C_RING_SIZE]		= "ring_size",
	[DS_C_RING_HIGH_WATER]		= "ring_high_water",
};

void *ds_zalloc(size_t size, gfp_t gfp)
{
	void *p = kzalloc(size, gfp);

	if (p)
		atomic64_inc(&ds_allocs);
	return p;
}

void ds_free(const void *p)
{
	if (!p)
		return;
	atomic64_inc(&ds_frees);
	kfree(p);
}

void ds_drop(struct ds_vm *vm, int why)
{
	if (vm)
		atomic64_inc(&vm->drops.n[why]);
	atomic64_inc(&ds_module_drops.n[why]);
}

void ds_drops_snapshot(const struct ds_drops *d, u64 out[DS_D_NR])
{
	int i;

	for (i = 0; i < DS_D_NR; i++)
		out[i] = atomic64_read(&d->n[i]);
}

static void ds_drops_zero(struct ds_drops *d)
{
	int i;

	for (i = 0; i < DS_D_NR; i++)
		atomic64_set(&d->n[i], 0);
}

/* The module-wide counters; RESET_STATS of every VM. */
void ds_module_reset(void)
{
	atomic64_set(&ds_unattributed, 0);
	ds_drops_zero(&ds_module_drops);
	/* After zeroing: a reader of the new generation sees zeroed counts. */
	atomic64_inc(&ds_module_reset_gen);
}

/* ds_task: see dirtyscope.h. */
static DEFINE_HASHTABLE(ds_tasks, 8);
static unsigned int ds_nr_tasks;

static struct ds_vm *ds_vm_lookup(unsigned long key)
{
	struct ds_vm *vm;

	hash_for_each_possible_rcu(ds_vms, vm, hnode, key,
				   lockdep_is_held(&ds_lock))
		if (vm->key == key)
			return vm;
	return NULL;
}

/* Which fd of the calling process is this VM? See kmod/README.md. */
static int ds_match_vm_file(const void *kvm, struct file *file, unsigned int fd)
{
	/*
	 * Both the VM fd and its binary-stats fd point private_data at the
	 * kvm; only the VM fd is the anon inode KVM names "kvm-vm".
	 */
	if (file->private_data != kvm ||
	    strcmp(file->f_path.dentry->d_name.name, "kvm-vm"))
		return 0;
	return fd + 1;
}

/*
 * Called from a probe of this VM, so kvm is alive. KVM's own debugfs
 * directory name is exactly "<pid>-<fd>" as KVM chose it at creation:
 * true if there is one (copying a name is fine in probe context).
 */
static bool ds_vm_debugfs_name(struct ds_vm *vm, struct kvm *kvm)
{
	struct dentry *d = READ_ONCE(kvm->debugfs_dentry);
	int pid, fd;
	char tail;

	if (atomic_dec_if_positive(&ds_fault_no_name) >= 0 || IS_ERR_OR_NULL(d))
		return false;
	snprintf(vm->name, sizeof(vm->name), "%pd", d);
	if (sscanf(vm->name, "%d-%d%c", &pid, &fd, &tail) != 2)
		return false;
	vm->pid = pid;
	vm->fd = fd;
	return true;
}

/*
 * On ds_wq, for a VM KVM gave no debugfs name (debugfs off, or a name
 * clash): the tgid of the thread that first ran it and the lowest fd in
 * its file table that refers to the VM. task_lock() keeps task->files
 * from going away (exit_files() clears it under that lock). The kvm
 * pointer is only compared with private_data, never dereferenced: the VM
 * may be gone by now (then no fd matches, or the kill path discards us).
 */
static void ds_vm_fd_name(struct ds_vm *vm)
{
	int ret = 0;

	task_lock(vm->task);
	if (vm->task->files)
		ret = iterate_fd(vm->task->files, 0, ds_match_vm_file,
				 (void *)vm->key);
	task_unlock(vm->task);
	vm->fd = ret > 0 ? ret - 1 : -1;
	if (vm->fd >= 0)
		snprintf(vm->name, sizeof(vm->name), "%d-%d", vm->pid, vm->fd);
	else
		snprintf(vm->name, sizeof(vm->name), "%d-nofd", vm->pid);
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
		spin_lock(&ds_lock);
		dead = vm->dead;
		if (!dead) {
			hlist_del_init(&vm->hnode);
			vm->pending = false;
			ds_vm_publish(vm);
		}
		spin_unlock(&ds_lock);
		/* Killed while pending: its destroy work, queued after us, frees it. */
		if (dead)
			return;
	}
	ds_debugfs_add_vm(vm);
}

static void ds_task_forget(u64 vm_id)
{
	struct hlist_node *tmp;
	struct ds_task *t;
	int bkt;

	spin_lock(&ds_lock);
	hash_for_each_safe(ds_tasks, bkt, tmp, t, hnode) {
		if (READ_ONCE(t->vm_id) != vm_id && vm_id)
			continue;
		hash_del_rcu(&t->hnode);
		ds_free_rcu(t, rcu);
		ds_nr_tasks--;
	}
	spin_unlock(&ds_lock);
}

/* An entry from the pool, or one that left every table: no reader left. */
void ds_vm_free(struct ds_vm *vm)
{
	struct ds_vcpu *vc;
	unsigned long i;

	ds_spp_destroy(&vm->spp);
	xa_for_each(&vm->vcpus, i, vc)
		ds_free(vc);
	xa_destroy(&vm->vcpus);
	if (vm->task)
		put_task_struct(vm->task);
	ds_free(vm);
}

static void ds_vm_destroy_work(struct work_struct *work)
{
	struct ds_vm *vm = container_of(work, struct ds_vm, destroy_work);

	/* debugfs_remove() waits for open readers of vm's stats file. */
	ds_debugfs_remove_vm(vm);
	/* Id 0: killed while pending, never numbered, no task points at it. */
	if (vm->id)
		ds_task_forget(vm->id);
	/* Probes and netlink handlers that found vm under RCU are done. */
	synchronize_rcu();
	/* So are the sleeping ones (SPP_SET) that hold it under SRCU. */
	synchronize_srcu(&ds_vm_srcu);
	ds_vm_free(vm);
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
 * Find or start tracking the VM of a probe. Probe context (atomic, maybe
 * interrupts off): the entry comes from the pool, the name from KVM's
 * debugfs directory; without one the VM waits in ds_pending for ds_wq to
 * find its fd, and NULL is returned meanwhile. event: the caller loses a
 * counted event if NULL is returned.
 */
static struct ds_vm *ds_vm_get(struct kvm *kvm, bool event)
{
	unsigned long key = (unsigned long)kvm;
	struct ds_vm *vm, *fresh;
	int why = -1;

	vm = ds_vm_lookup(key);
	if (likely(vm))
		return vm;

	/* Taken and named outside ds_lock; returned if we lose a race. */
	fresh = ds_pool_take_vm();
	if (fresh) {
		INIT_WORK(&fresh->create_work, ds_vm_create_work);
		INIT_WORK(&fresh->destroy_work, ds_vm_destroy_work);
		fresh->key = key;
		/* current runs this VM (a probe of its own code fired). */
		fresh->owner = current_euid();
		fresh->pid = task_tgid_nr(current);
		if (!ds_vm_debugfs_name(fresh, kvm)) {
			fresh->task = current;
			get_task_struct(current);
		}
	}

	spin_lock(&ds_lock);
	vm = ds_vm_lookup(key);
	if (vm)
		goto out;
	vm = ds_pending_lookup(key);
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
	spin_unlock(&ds_lock);
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

/*
 * Probe context, with rcu_read_lock() held by the caller. A vCPU entry
 * comes from the pool; the VM's xarray has a node for indices 0..63
 * reserved (pool.c), so storing there allocates nothing. Only a VM with
 * more vCPUs than that needs a node here, taken without sleeping.
 */
struct ds_vcpu *ds_vcpu_get(struct kvm_vcpu *vcpu, struct ds_vm **vmp,
			    bool event)
{
	struct ds_vcpu *vc, *old;
	struct ds_vm *vm;

	vm = ds_vm_get(vcpu->kvm, event);
	if (!vm)
		return NULL;
	*vmp = vm;
	vc = xa_load(&vm->vcpus, vcpu->vcpu_idx);
	if (likely(vc))
		return vc;

	vc = ds_pool_take_vcpu();
	if (!vc)
		goto drop;
	vc->index = vcpu->vcpu_idx;
	vc->id = vcpu->vcpu_id;
	vc->last_reset_index = READ_ONCE(vcpu->dirty_ring.reset_index);
	atomic_set(&vc->c.ring_size, vcpu->dirty_ring.size);
	old = xa_cmpxchg(&vm->vcpus, vc->index, NULL, vc,
			 GFP_NOWAIT | __GFP_NOWARN);
	if (old) {
		ds_pool_put_vcpu(vc);
		if (!xa_is_err(old))
			return old;
		goto drop;
	}
	atomic_inc(&vm->nr_vcpus);
	return vc;
drop:
	ds_drop(vm, DS_D_VCPU_ALLOC);
	if (event)
		ds_drop(vm, DS_D_EVENTS);
	return NULL;
}

static struct ds_task *ds_task_lookup(const struct task_struct *task)
{
	struct ds_task *t;

	hash_for_each_possible_rcu(ds_tasks, t, hnode, (unsigned long)task,
				   lockdep_is_held(&ds_lock))
		if (t->task == task)
			return t;
	return NULL;
}

/*
 * Remember that current runs vcpu; returns its counters (or NULL).
 * Probe context, under rcu_read_lock().
 */
struct ds_vcpu *ds_task_note_vcpu(struct kvm_vcpu *vcpu, bool event)
{
	struct ds_vcpu *vc;
	struct ds_task *t;
	struct ds_vm *vm;

	vc = ds_vcpu_get(vcpu, &vm, event);
	if (!vc)
		return NULL;
	t = ds_task_lookup(current);
	if (likely(t)) {
		if (t->vm_id != vm->id || t->vcpu_idx != vc->index) {
			WRITE_ONCE(t->key, vm->key);
			WRITE_ONCE(t->vm_id, vm->id);
			WRITE_ONCE(t->vcpu_idx, vc->index);
		}
		return vc;
	}
	t = ds_pool_take_task();
	if (!t) {
		ds_drop(NULL, DS_D_TASK);
		return vc;
	}
	t->task = current;
	t->key = vm->key;
	t->vm_id = vm->id;
	t->vcpu_idx = vc->index;
	spin_lock(&ds_lock);
	if (ds_task_lookup(current)) {
		/* Raced with ourselves? Only via an interrupt: harmless. */
	} else if (ds_nr_tasks < DS_MAX_TASKS) {
		hash_add_rcu(ds_tasks, &t->hnode, (unsigned long)current);
		ds_nr_tasks++;
		t = NULL;
	} else {
		ds_drop(NULL, DS_D_TASK);
	}
	spin_unlock(&ds_lock);
	if (t)
		ds_pool_put_task(t);
	return vc;
}

/* The vCPU current last exited from, or NULL. Under rcu_read_lock(). */
struct ds_vcpu *ds_task_vcpu(struct ds_vm **vmp)
{
	struct ds_task *t = ds_task_lookup(current);
	struct ds_vm *vm;

	if (!t)
		return NULL;
	vm = ds_vm_lookup(t->key);
	/* The id check rejects a new VM that reuses a dead VM's address. */
	if (!vm || vm->id != t->vm_id)
		return NULL;
	*vmp = vm;
	return xa_load(&vm->vcpus, t->vcpu_idx);
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

	spin_lock(&ds_lock);
	vm = ds_vm_lookup(key) ?: ds_pending_lookup(key);
	if (vm)
		ds_vm_unlink(vm);
	spin_unlock(&ds_lock);
	if (vm)
		queue_work(ds_wq, &vm->destroy_work);
}

/* Drop every VM: KVM is going away, or we are. Probes must be detached. */
void ds_vm_kill_all(void)
{
	struct ds_vm *vm;

	for (;;) {
		spin_lock(&ds_lock);
		vm = list_first_entry_or_null(&ds_vm_list, struct ds_vm, lnode);
		if (!vm && !hlist_empty(&ds_pending))
			vm = hlist_entry(ds_pending.first, struct ds_vm, hnode);
		if (vm)
			ds_vm_unlink(vm);
		spin_unlock(&ds_lock);
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

void ds_counters_snapshot(const struct ds_counters *c, u64 out[DS_C_NR])
{
	out[DS_C_RING_PUSHES] = atomic64_read(&c->ring_pushes);
	out[DS_C_RING_RESETS] = atomic64_read(&c->ring_resets);
	out[DS_C_RING_RESET_ENTRIES] = atomic64_read(&c->ring_reset_entries);
	out[DS_C_RING_FULL_EXITS] = atomic64_read(&c->ring_full_exits);
	out[DS_C_PAGE_FAULTS] = atomic64_read(&c->page_faults);
	out[DS_C_SET_SPTE] = atomic64_read(&c->set_spte);
	out[DS_C_SET_SPTE_WRITABLE] = atomic64_read(&c->set_spte_writable);
	out[DS_C_RING_SIZE] = (u32)atomic_read(&c->ring_size);
	out[DS_C_RING_HIGH_WATER] = (u32)atomic_read(&c->ring_high_water);
}

/* Sum of all vCPUs; sizes and high-water are maxima. Under RCU. */
void ds_vm_totals(struct ds_vm *vm, struct ds_counters *sum)
{
	struct ds_vcpu *vc;
	unsigned long i;

	memset(sum, 0, sizeof(*sum));
	xa_for_each(&vm->vcpus, i, vc) {
		const struct ds_counters *c = &vc->c;

		atomic64_add(atomic64_read(&c->ring_pushes), &sum->ring_pushes);
		atomic64_add(atomic64_read(&c->ring_resets), &sum->ring_resets);
		atomic64_add(atomic64_read(&c->ring_reset_entries),
			     &sum->ring_reset_entries);
		atomic64_add(atomic64_read(&c->ring_full_exits),
			     &sum->ring_full_exits);
		atomic64_add(atomic64_read(&c->page_faults), &sum->page_faults);
		atomic64_add(atomic64_read(&c->set_spte), &sum->set_spte);
		atomic64_add(atomic64_read(&c->set_spte_writable),
			     &sum->set_spte_writable);
		if ((u32)atomic_read(&c->ring_size) >
		    (u32)atomic_read(&sum->ring_size))
			atomic_set(&sum->ring_size, atomic_read(&c->ring_size));
		if ((u32)atomic_read(&c->ring_high_water) >
		    (u32)atomic_read(&sum->ring_high_water))
			atomic_set(&sum->ring_high_water,
				   atomic_read(&c->ring_high_water));
	}
}

/* Zero the counters (not the ring size) and drops. Under RCU. */
void ds_vm_reset(struct ds_vm *vm)
{
	struct ds_vcpu *vc;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vc) {
		atomic64_set(&vc->c.ring_pushes, 0);
		atomic64_set(&vc->c.ring_resets, 0);
		atomic64_set(&vc->c.ring_reset_entries, 0);
		atomic64_set(&vc->c.ring_full_exits, 0);
		atomic64_set(&vc->c.page_faults, 0);
		atomic64_set(&vc->c.set_spte, 0);
		atomic64_set(&vc->c.set_spte_writable, 0);
		atomic_set(&vc->c.ring_high_water, 0);
	}
	ds_drops_zero(&vm->drops);
	/* After zeroing: a reader of the new generation sees zeroed counts. */
	atomic64_inc(&vm->reset_gen);
}

static int __init ds_init(void)
{
	int ret;

	ret = init_srcu_struct(&ds_vm_srcu);
	if (ret)
		return ret;
	ds_wq = alloc_ordered_workqueue("dirtyscope", 0);
	if (!ds_wq) {
		ret = -ENOMEM;
		goto err_srcu;
	}
	ret = ds_pool_init();
	if (ret)
		goto err_wq;
	ret = ds_debugfs_init();
	if (ret)
		goto err_wq;
	ret = ds_netlink_init();
	if (ret)
		goto err_debugfs;
	/* Last: once probes run, VMs appear and use all of the above. */
	ret = ds_probes_init();
	if (ret)
		goto err_netlink;
	pr_info("loaded\n");
	return 0;

err_netlink:
	ds_netlink_exit();
err_debugfs:
	/* ds_probes_init() detached everything it attached before failing. */
	ds_vm_kill_all();
	flush_workqueue(ds_wq);
	ds_task_forget(0);
	ds_debugfs_exit();
err_wq:
	destroy_workqueue(ds_wq);
	ds_pool_exit();
	rcu_barrier();
err_srcu:
	cleanup_srcu_struct(&ds_vm_srcu);
	return ret;
}

static void __exit ds_exit(void)
{
	ds_probes_exit();		/* no probe runs after this */
	ds_netlink_exit();		/* no netlink handler runs after this */
	ds_vm_kill_all();
	destroy_workqueue(ds_wq);	/* runs the destroy works */
	ds_pool_exit();			/* no probe or work takes from it now */
	ds_task_forget(0);
	ds_debugfs_exit();
	rcu_barrier();			/* pending kfree_rcu() of ds_task, SPP pages */
	cleanup_srcu_struct(&ds_vm_srcu);
	/* The churn test requires these equal: nothing of ours outlives us. */
	pr_info("exit: allocations=%lld frees=%lld\n",
		atomic64_read(&ds_allocs), atomic64_read(&ds_frees));
	pr_info("unloaded\n");
}

module_init(ds_init);
module_exit(ds_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("dirtyscope developers");
MODULE_DESCRIPTION("KVM dirty-page tracking statistics (debugfs, generic netlink)");
