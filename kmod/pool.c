// SPDX-License-Identifier: GPL-2.0
/*
 * Preallocated VM, vCPU and task entries for the probes.
 *
 * A probe may run with interrupts off (kvm_exit on VMX fires in the
 * vCPU's run loop before interrupts are enabled again), where allocating
 * is best avoided and a failure would be silent. So the probes take
 * entries made ahead of time here, in process context with GFP_KERNEL,
 * and a work item on ds_wq tops the pools up after each take. A take from
 * an empty pool is NULL and the caller counts it as a drop (ds_drop), so
 * nothing is lost silently; the pools are sized for bursts of new VMs and
 * vCPUs far beyond what a test or a normal host produces between two
 * runs of the refill work.
 *
 * VM entries come with their vCPU array (a slot for every index KVM
 * may give), so storing a vCPU allocates nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm_host.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "dirtyscope.h"

#define DS_POOL_VMS		8
#define DS_POOL_VCPUS		64
#define DS_POOL_TASKS		64

/* Test knobs (debugfs fault/): the next N takes fail as if empty. */
atomic_t ds_fault_vm_alloc = ATOMIC_INIT(0);
atomic_t ds_fault_vcpu_alloc = ATOMIC_INIT(0);
atomic_t ds_fault_task_alloc = ATOMIC_INIT(0);
/* The next N new VMs are named from their fd as if KVM gave no name. */
atomic_t ds_fault_no_name = ATOMIC_INIT(0);

/*
 * The lists and their lengths, under ds_pool_lock: taken by probes, maybe
 * with interrupts off, so a raw spinlock (a spinlock_t sleeps on
 * PREEMPT_RT); held only to move one entry.
 */
static DEFINE_RAW_SPINLOCK(ds_pool_lock);
static HLIST_HEAD(ds_vm_pool);
static HLIST_HEAD(ds_vcpu_pool);
static HLIST_HEAD(ds_task_pool);
static unsigned int ds_nr_vm_pool, ds_nr_vcpu_pool, ds_nr_task_pool;
/* Allocations of the refill work that failed; it retries on the next take. */
static atomic64_t ds_refill_failures = ATOMIC64_INIT(0);

static void ds_pool_refill(struct work_struct *work);
static DECLARE_WORK(ds_refill_work, ds_pool_refill);
/* False once ds_pool_exit() started: nothing queues the refill work. */
static bool ds_pool_live;

static struct ds_vm *ds_vm_prepare(void)
{
	struct ds_vm *vm = ds_zalloc(sizeof(*vm), GFP_KERNEL);

	if (!vm)
		return NULL;
	/* KVM never gives a vCPU an index of KVM_MAX_VCPUS or more. */
	vm->vcpus = ds_zalloc(KVM_MAX_VCPUS * sizeof(*vm->vcpus), GFP_KERNEL);
	if (!vm->vcpus) {
		ds_free(vm);
		return NULL;
	}
	vm->vcpu_slots = KVM_MAX_VCPUS;
	ds_spp_init(&vm->spp);
	vm->fd = -1;
	return vm;
}

/* Process context. Returns false if an allocation failed. */
static bool ds_pool_fill(void)
{
	struct ds_vcpu *vc;
	struct ds_task *t;
	struct ds_vm *vm;

	for (;;) {
		raw_spin_lock(&ds_pool_lock);
		if (ds_nr_vm_pool >= DS_POOL_VMS) {
			raw_spin_unlock(&ds_pool_lock);
			break;
		}
		raw_spin_unlock(&ds_pool_lock);
		vm = ds_vm_prepare();
		if (!vm)
			return false;
		ds_pool_put_vm(vm);
	}
	for (;;) {
		raw_spin_lock(&ds_pool_lock);
		if (ds_nr_vcpu_pool >= DS_POOL_VCPUS) {
			raw_spin_unlock(&ds_pool_lock);
			break;
		}
		raw_spin_unlock(&ds_pool_lock);
		vc = ds_zalloc(sizeof(*vc), GFP_KERNEL);
		if (!vc)
			return false;
		ds_pool_put_vcpu(vc);
	}
	for (;;) {
		raw_spin_lock(&ds_pool_lock);
		if (ds_nr_task_pool >= DS_POOL_TASKS) {
			raw_spin_unlock(&ds_pool_lock);
			break;
		}
		raw_spin_unlock(&ds_pool_lock);
		t = ds_zalloc(sizeof(*t), GFP_KERNEL);
		if (!t)
			return false;
		ds_pool_put_task(t);
	}
	return true;
}

static void ds_pool_refill(struct work_struct *work)
{
	if (!ds_pool_fill())
		atomic64_inc(&ds_refill_failures);
}

/* ds_pool_lock held: top up soon. queue_work() is fine in any context. */
static void ds_pool_kick(void)
{
	if (ds_pool_live)
		queue_work(ds_wq, &ds_refill_work);
}

struct ds_vm *ds_pool_take_vm(void)
{
	struct ds_vm *vm = NULL;

	if (atomic_dec_if_positive(&ds_fault_vm_alloc) >= 0)
		return NULL;
	raw_spin_lock(&ds_pool_lock);
	if (!hlist_empty(&ds_vm_pool)) {
		vm = hlist_entry(ds_vm_pool.first, struct ds_vm, hnode);
		hlist_del_init(&vm->hnode);
		ds_nr_vm_pool--;
	}
	ds_pool_kick();
	raw_spin_unlock(&ds_pool_lock);
	return vm;
}

/* An entry the caller did not use goes back as it came. */
void ds_pool_put_vm(struct ds_vm *vm)
{
	raw_spin_lock(&ds_pool_lock);
	hlist_add_head(&vm->hnode, &ds_vm_pool);
	ds_nr_vm_pool++;
	raw_spin_unlock(&ds_pool_lock);
}

struct ds_vcpu *ds_pool_take_vcpu(void)
{
	struct ds_vcpu *vc = NULL;

	if (atomic_dec_if_positive(&ds_fault_vcpu_alloc) >= 0)
		return NULL;
	raw_spin_lock(&ds_pool_lock);
	if (!hlist_empty(&ds_vcpu_pool)) {
		vc = hlist_entry(ds_vcpu_pool.first, struct ds_vcpu, pnode);
		hlist_del_init(&vc->pnode);
		ds_nr_vcpu_pool--;
	}
	ds_pool_kick();
	raw_spin_unlock(&ds_pool_lock);
	return vc;
}

void ds_pool_put_vcpu(struct ds_vcpu *vc)
{
	/* A vCPU entry is all counters: back to zero for its next user. */
	memset(vc, 0, sizeof(*vc));
	raw_spin_lock(&ds_pool_lock);
	hlist_add_head(&vc->pnode, &ds_vcpu_pool);
	ds_nr_vcpu_pool++;
	raw_spin_unlock(&ds_pool_lock);
}

struct ds_task *ds_pool_take_task(void)
{
	struct ds_task *t = NULL;

	if (atomic_dec_if_positive(&ds_fault_task_alloc) >= 0)
		return NULL;
	raw_spin_lock(&ds_pool_lock);
	if (!hlist_empty(&ds_task_pool)) {
		t = hlist_entry(ds_task_pool.first, struct ds_task, hnode);
		hlist_del_init(&t->hnode);
		ds_nr_task_pool--;
	}
	ds_pool_kick();
	raw_spin_unlock(&ds_pool_lock);
	return t;
}

void ds_pool_put_task(struct ds_task *t)
{
	memset(t, 0, sizeof(*t));
	raw_spin_lock(&ds_pool_lock);
	hlist_add_head(&t->hnode, &ds_task_pool);
	ds_nr_task_pool++;
	raw_spin_unlock(&ds_pool_lock);
}

/* debugfs status. */
void ds_pool_show(struct seq_file *m)
{
	raw_spin_lock(&ds_pool_lock);
	seq_printf(m, "pool: vms %u/%u vcpus %u/%u tasks %u/%u refill_failures %lld\n",
		   ds_nr_vm_pool, DS_POOL_VMS, ds_nr_vcpu_pool, DS_POOL_VCPUS,
		   ds_nr_task_pool, DS_POOL_TASKS,
		   atomic64_read(&ds_refill_failures));
	raw_spin_unlock(&ds_pool_lock);
}

/* Module init, before any probe: a first failure fails the load. */
int ds_pool_init(void)
{
	ds_pool_live = true;
	return ds_pool_fill() ? 0 : -ENOMEM;
}

/* After the probes are detached and ds_wq is destroyed: frees every entry. */
void ds_pool_exit(void)
{
	struct hlist_node *tmp;
	struct ds_vcpu *vc;
	struct ds_task *t;
	struct ds_vm *vm;

	raw_spin_lock(&ds_pool_lock);
	ds_pool_live = false;
	raw_spin_unlock(&ds_pool_lock);
	hlist_for_each_entry_safe(vm, tmp, &ds_vm_pool, hnode) {
		hlist_del(&vm->hnode);
		ds_vm_free(vm);
	}
	hlist_for_each_entry_safe(vc, tmp, &ds_vcpu_pool, pnode) {
		hlist_del(&vc->pnode);
		ds_free(vc);
	}
	hlist_for_each_entry_safe(t, tmp, &ds_task_pool, hnode) {
		hlist_del(&t->hnode);
		ds_free(t);
	}
	ds_nr_vm_pool = ds_nr_vcpu_pool = ds_nr_task_pool = 0;
}
