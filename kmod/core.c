// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope.ko: per-VM and per-vCPU statistics of KVM dirty-page tracking,
 * gathered from KVM's tracepoints. This file owns the VM table, the vCPU
 * attribution of events that carry no vCPU, and module init/exit.
 *
 * Locking: ds_lock (a plain spinlock; every user runs in process context,
 * probes with preemption disabled) serialises writers of ds_vms,
 * ds_vm_list and ds_tasks. Readers (probes, debugfs, netlink) use RCU.
 * Objects leave the tables under ds_lock and are freed after a grace period.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "dirtyscope.h"

/* Bounds so a host running many VMs cannot make us eat memory unchecked. */
#define DS_MAX_VMS	1024
#define DS_MAX_TASKS	4096

static DEFINE_SPINLOCK(ds_lock);
static DEFINE_HASHTABLE(ds_vms, 6);
LIST_HEAD(ds_vm_list);
static unsigned int ds_nr_vms;
static u64 ds_last_id;			/* under ds_lock */

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

/*
 * kvmmmu:kvm_mmu_set_spte carries no vCPU. It fires in the thread running
 * the vCPU, after a VM exit of that vCPU, so each task's last-exited vCPU
 * (learned from kvm:kvm_exit and kvm:kvm_page_fault) attributes it. The
 * task pointer is only compared, never dereferenced: a reused task_struct
 * exits a vCPU (and so overwrites its entry) before it can set an SPTE.
 * Fields other than hnode are written only by the task itself.
 */
struct ds_task {
	struct hlist_node hnode;
	const struct task_struct *task;
	unsigned long key;
	u64 vm_id;
	u32 vcpu_idx;
	struct rcu_head rcu;
};
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
 * Called from a probe of this VM, so kvm is alive. Prefer KVM's own debugfs
 * directory name: it is exactly "<pid>-<fd>" as KVM chose it at creation.
 * KVM has none when debugfs is off or a name clashed; then use our tgid and
 * the lowest fd that refers to the VM in our file table.
 */
static void ds_vm_name(struct ds_vm *vm, struct kvm *kvm)
{
	struct dentry *d = READ_ONCE(kvm->debugfs_dentry);
	struct files_struct *files = current->files;
	int pid, fd, ret;
	char tail;

	if (!IS_ERR_OR_NULL(d)) {
		snprintf(vm->name, sizeof(vm->name), "%pd", d);
		if (sscanf(vm->name, "%d-%d%c", &pid, &fd, &tail) == 2) {
			vm->pid = pid;
			vm->fd = fd;
			return;
		}
	}
	vm->pid = task_tgid_nr(current);
	vm->fd = -1;
	if (files) {
		ret = iterate_fd(files, 0, ds_match_vm_file, kvm);
		if (ret > 0)
			vm->fd = ret - 1;
	}
	if (vm->fd >= 0)
		snprintf(vm->name, sizeof(vm->name), "%d-%d", vm->pid, vm->fd);
	else
		snprintf(vm->name, sizeof(vm->name), "%d-nofd", vm->pid);
}

static void ds_vm_create_work(struct work_struct *work)
{
	ds_debugfs_add_vm(container_of(work, struct ds_vm, create_work));
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

static void ds_vm_destroy_work(struct work_struct *work)
{
	struct ds_vm *vm = container_of(work, struct ds_vm, destroy_work);
	struct ds_vcpu *vc;
	unsigned long i;

	/* debugfs_remove() waits for open readers of vm's stats file. */
	ds_debugfs_remove_vm(vm);
	ds_task_forget(vm->id);
	/* Probes and netlink handlers that found vm under RCU are done. */
	synchronize_rcu();
	/* So are the sleeping ones (SPP_SET) that hold it under SRCU. */
	synchronize_srcu(&ds_vm_srcu);
	ds_spp_destroy(&vm->spp);
	xa_for_each(&vm->vcpus, i, vc)
		ds_free(vc);
	xa_destroy(&vm->vcpus);
	ds_free(vm);
}

/* Find or start tracking the VM of a probe. Probe context (atomic). */
static struct ds_vm *ds_vm_get(struct kvm *kvm)
{
	unsigned long key = (unsigned long)kvm;
	struct ds_vm *vm, *other;

	vm = ds_vm_lookup(key);
	if (likely(vm))
		return vm;

	vm = ds_zalloc(sizeof(*vm), GFP_ATOMIC);
	if (!vm)
		return NULL;
	vm->key = key;
	xa_init(&vm->vcpus);
	ds_spp_init(&vm->spp);
	/* current runs this VM (a probe of its own code fired). */
	vm->owner = current_euid();
	INIT_WORK(&vm->create_work, ds_vm_create_work);
	INIT_WORK(&vm->destroy_work, ds_vm_destroy_work);
	ds_vm_name(vm, kvm);

	spin_lock(&ds_lock);
	other = ds_vm_lookup(key);
	if (other || ds_nr_vms >= DS_MAX_VMS) {
		spin_unlock(&ds_lock);
		ds_free(vm);
		return other;
	}
	vm->id = ++ds_last_id;
	hash_add_rcu(ds_vms, &vm->hnode, key);
	/* Appending under the lock keeps ds_vm_list sorted by id. */
	list_add_tail_rcu(&vm->lnode, &ds_vm_list);
	ds_nr_vms++;
	spin_unlock(&ds_lock);

	/* debugfs may sleep; the ordered ds_wq runs this before any destroy. */
	queue_work(ds_wq, &vm->create_work);
	return vm;
}

/* Probe context, with rcu_read_lock() held by the caller. */
struct ds_vcpu *ds_vcpu_get(struct kvm_vcpu *vcpu, struct ds_vm **vmp)
{
	struct ds_vcpu *vc, *old;
	struct ds_vm *vm;

	vm = ds_vm_get(vcpu->kvm);
	if (!vm)
		return NULL;
	*vmp = vm;
	vc = xa_load(&vm->vcpus, vcpu->vcpu_idx);
	if (likely(vc))
		return vc;

	vc = ds_zalloc(sizeof(*vc), GFP_ATOMIC);
	if (!vc)
		return NULL;
	vc->index = vcpu->vcpu_idx;
	vc->id = vcpu->vcpu_id;
	vc->last_reset_index = READ_ONCE(vcpu->dirty_ring.reset_index);
	atomic_set(&vc->c.ring_size, vcpu->dirty_ring.size);
	old = xa_cmpxchg(&vm->vcpus, vc->index, NULL, vc, GFP_ATOMIC);
	if (old) {
		ds_free(vc);
		return xa_is_err(old) ? NULL : old;
	}
	atomic_inc(&vm->nr_vcpus);
	return vc;
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
struct ds_vcpu *ds_task_note_vcpu(struct kvm_vcpu *vcpu)
{
	struct ds_vcpu *vc;
	struct ds_task *t;
	struct ds_vm *vm;

	vc = ds_vcpu_get(vcpu, &vm);
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
	t = ds_zalloc(sizeof(*t), GFP_ATOMIC);
	if (!t)
		return vc;
	t->task = current;
	t->key = vm->key;
	t->vm_id = vm->id;
	t->vcpu_idx = vc->index;
	spin_lock(&ds_lock);
	if (ds_nr_tasks < DS_MAX_TASKS && !ds_task_lookup(current)) {
		hash_add_rcu(ds_tasks, &t->hnode, (unsigned long)current);
		ds_nr_tasks++;
		t = NULL;
	}
	spin_unlock(&ds_lock);
	ds_free(t);
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
	hash_del_rcu(&vm->hnode);
	list_del_rcu(&vm->lnode);
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
	vm = ds_vm_lookup(key);
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

/* Zero the counters (not the ring size). Under RCU. */
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
