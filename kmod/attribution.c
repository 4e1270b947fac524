// SPDX-License-Identifier: GPL-2.0
/*
 * Attribution: a tracked VM's vCPU entries, and for events that carry no
 * vCPU (kvm_mmu_set_spte, kvm_mmio) the vCPU each task last exited from
 * (struct ds_task, dirtyscope.h). Entries come from pool.c; the task
 * table is written under ds_lock (vm_table.c) and read under RCU.
 */
#include <linux/hashtable.h>
#include <linux/kvm_host.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "dirtyscope.h"
#include "vm_table.h"

/*
 * A bound so a host running many threads cannot make us eat memory
 * unchecked; root may lower it at run time, so a test can churn more
 * threads than the table holds.
 */
static unsigned int max_tasks = 4096;
module_param(max_tasks, uint, 0600);
MODULE_PARM_DESC(max_tasks, "most threads whose last vCPU is remembered; beyond, drop task");

/* ds_task: see dirtyscope.h. */
static DEFINE_HASHTABLE(ds_tasks, 8);
static unsigned int ds_nr_tasks;

/* After a grace period: no probe compares against t->task any more. */
static void ds_task_free_rcu(struct rcu_head *rcu)
{
	struct ds_task *t = container_of(rcu, struct ds_task, rcu);

	put_task_struct(t->task);
	ds_free(t);
}

/* ds_lock held. */
static void ds_task_del(struct ds_task *t)
{
	lockdep_assert_held(&ds_lock);
	hash_del_rcu(&t->hnode);
	call_rcu(&t->rcu, ds_task_free_rcu);
	ds_nr_tasks--;
}

void ds_task_forget(u64 vm_id)
{
	struct hlist_node *tmp;
	struct ds_task *t;
	int bkt;

	raw_spin_lock(&ds_lock);
	hash_for_each_safe(ds_tasks, bkt, tmp, t, hnode)
		if (READ_ONCE(t->vm_id) == vm_id || !vm_id)
			ds_task_del(t);
	raw_spin_unlock(&ds_lock);
}

/*
 * Entries of threads that exited: a thread that set PF_EXITING never runs
 * a vCPU again. Each entry holds a reference on its task, so reading its
 * flags is safe. Queued by the probe once the table is half full.
 */
static void ds_task_reap(struct work_struct *work)
{
	struct hlist_node *tmp;
	struct ds_task *t;
	int bkt;

	raw_spin_lock(&ds_lock);
	hash_for_each_safe(ds_tasks, bkt, tmp, t, hnode)
		if (READ_ONCE(t->task->flags) & PF_EXITING)
			ds_task_del(t);
	raw_spin_unlock(&ds_lock);
}
static DECLARE_WORK(ds_task_reap_work, ds_task_reap);

void ds_task_reap_stop(void)
{
	cancel_work_sync(&ds_task_reap_work);
}

/*
 * Probe context, with rcu_read_lock() held by the caller. A vCPU entry
 * comes from the pool and goes into its slot of the VM's array with one
 * cmpxchg: nothing is allocated and no lock taken, as probes may run with
 * interrupts off (where even a raw allocation would be wrong on
 * PREEMPT_RT).
 */
struct ds_vcpu *ds_vcpu_get(struct kvm_vcpu *vcpu, struct ds_vm **vmp,
			    bool event)
{
	struct ds_vcpu *vc, *old;
	struct ds_vm *vm;
	u32 idx;

	vm = ds_vm_get(vcpu->kvm, event);
	if (!vm)
		return NULL;
	*vmp = vm;
	idx = vcpu->vcpu_idx;
	if (unlikely(idx >= vm->vcpu_slots))
		goto drop;
	vc = READ_ONCE(vm->vcpus[idx]);
	if (likely(vc))
		return vc;

	vc = ds_pool_take_vcpu();
	if (!vc)
		goto drop;
	vc->index = vcpu->vcpu_idx;
	vc->id = vcpu->vcpu_id;
	vc->last_reset_index = READ_ONCE(vcpu->dirty_ring.reset_index);
	atomic_set(&vc->c.ring_size, vcpu->dirty_ring.size);
	/* Fully initialised before it is seen: cmpxchg() orders the stores. */
	old = cmpxchg(&vm->vcpus[idx], NULL, vc);
	if (old) {
		ds_pool_put_vcpu(vc);
		return old;
	}
	ds_atomic_max(&vm->vcpu_end, idx + 1);
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
	raw_spin_lock(&ds_lock);
	if (ds_task_lookup(current)) {
		/* Raced with ourselves? Only via an interrupt: harmless. */
	} else if (ds_nr_tasks < READ_ONCE(max_tasks)) {
		/* Freed in ds_task_free_rcu(); current is alive, no sleep. */
		get_task_struct(current);
		hash_add_rcu(ds_tasks, &t->hnode, (unsigned long)current);
		ds_nr_tasks++;
		t = NULL;
	} else {
		ds_drop(NULL, DS_D_TASK);
	}
	/* Half full: forget the threads that exited (any context). */
	if (ds_nr_tasks >= READ_ONCE(max_tasks) / 2)
		queue_work(ds_unbound_wq, &ds_task_reap_work);
	raw_spin_unlock(&ds_lock);
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
	return t->vcpu_idx < vm->vcpu_slots ? READ_ONCE(vm->vcpus[t->vcpu_idx]) :
					      NULL;
}
