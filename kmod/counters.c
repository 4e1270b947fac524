// SPDX-License-Identifier: GPL-2.0
/*
 * Counters and drops: their names (debugfs columns), snapshots, a VM's
 * totals over its vCPUs, RESET_STATS of one VM or of the module, and
 * ds_drop(), which counts what the module saw but could not count.
 */
#include <linux/kvm_host.h>

#include "dirtyscope.h"

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
	[DS_D_NOTIFY_LIMIT]	= "notify_limit",
};

atomic64_t ds_unattributed = ATOMIC64_INIT(0);

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
	ds_for_each_vcpu(vm, i, vc) {
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

/*
 * Zero everything a VM reply counts: counters (not the ring size), drops,
 * SPP totals and page counts. Under RCU.
 */
void ds_vm_reset(struct ds_vm *vm)
{
	struct ds_vcpu *vc;
	unsigned long i;

	ds_for_each_vcpu(vm, i, vc) {
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
	ds_spp_reset(&vm->spp);
	/* After zeroing: a reader of the new generation sees zeroed counts. */
	atomic64_inc(&vm->reset_gen);
}
