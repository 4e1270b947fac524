// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/dirtyscope/
 *   vms		one line per tracked VM with its totals
 *   status		which KVM hooks are attached
 *   <pid>-<fd>/stats	one VM: totals and one line per vCPU
 *   <pid>-<fd>/spp	one VM: its SPP pages, vectors and counts
 *   spp/capability	hardware SPP or not; the model the module offers
 *   allocations	the module's own objects: allocated, freed, live
 *   fault/		root only: make the next N takes of a pool entry fail;
 *			same_key: give every VM one key (vm_table.c)
 *
 * Files are 0400: the counters describe other users' VMs. Only
 * spp/capability is 0444: it describes the CPU, no one's data.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <uapi/linux/dirtyscope.h>

#include "dirtyscope.h"

static struct dentry *ds_root;

static void ds_seq_counters(struct seq_file *m, const struct ds_counters *c)
{
	u64 v[DS_C_NR];
	int i;

	ds_counters_snapshot(c, v);
	for (i = 0; i < DS_C_NR; i++)
		seq_printf(m, " %llu", v[i]);
	seq_putc(m, '\n');
}

static void ds_seq_header(struct seq_file *m, const char *prefix)
{
	int i;

	seq_puts(m, prefix);
	for (i = 0; i < DS_C_NR; i++)
		seq_printf(m, " %s", ds_counter_names[i]);
	seq_putc(m, '\n');
}

static int ds_vms_show(struct seq_file *m, void *v)
{
	struct ds_counters sum;
	struct ds_vm *vm;

	ds_seq_header(m, "# id name pid fd vcpus");
	rcu_read_lock();
	list_for_each_entry_rcu(vm, &ds_vm_list, lnode) {
		ds_vm_totals(vm, &sum);
		seq_printf(m, "%llu %s %d %d %d", vm->id, vm->name, vm->pid,
			   vm->fd, atomic_read(&vm->nr_vcpus));
		ds_seq_counters(m, &sum);
	}
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ds_vms);

static int ds_status_show(struct seq_file *m, void *v)
{
	u64 d[DS_D_NR];
	int i;

	seq_printf(m, "genl_family: %s version %d\n", DIRTYSCOPE_GENL_NAME,
		   DIRTYSCOPE_GENL_VERSION);
	ds_probes_show(m);
	seq_printf(m, "unattributed_set_spte: %lld\n",
		   atomic64_read(&ds_unattributed));
	seq_printf(m, "reset_generation: %lld\n",
		   atomic64_read(&ds_module_reset_gen));
	ds_drops_snapshot(&ds_module_drops, d);
	for (i = 0; i < DS_D_NR; i++)
		seq_printf(m, "drop_%s: %llu\n", ds_drop_names[i], d[i]);
	ds_pool_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ds_status);

/*
 * Exactly three lines, for scripts (the churn test): live must return to
 * its earlier value once the VMs created in between are gone.
 */
static int ds_allocations_show(struct seq_file *m, void *v)
{
	/* Frees first: each one counted had its allocation counted before. */
	s64 frees = atomic64_read(&ds_frees);
	s64 allocs = atomic64_read(&ds_allocs);

	seq_printf(m, "allocations %lld\nfrees %lld\nlive %lld\n", allocs,
		   frees, allocs - frees);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ds_allocations);

/* m->private is the VM; debugfs_remove() of its dir waits for us. */
static int ds_stats_show(struct seq_file *m, void *v)
{
	struct ds_vm *vm = m->private;
	struct ds_counters sum;
	struct ds_vcpu *vc;
	u64 d[DS_D_NR];
	unsigned long i;

	seq_printf(m, "id %llu\nname %s\npid %d\nfd %d\nvcpus %d\n", vm->id,
		   vm->name, vm->pid, vm->fd, atomic_read(&vm->nr_vcpus));
	/* SPP counts are per VM only: key-value lines before the table. */
	seq_printf(m, "spp_allowed %lld\nspp_denied %lld\nspp_events_dropped %lld\n",
		   atomic64_read(&vm->spp.allowed),
		   atomic64_read(&vm->spp.denied),
		   atomic64_read(&vm->spp.events_dropped));
	seq_printf(m, "reset_generation %lld\n", atomic64_read(&vm->reset_gen));
	ds_drops_snapshot(&vm->drops, d);
	for (i = 0; i < DS_D_NR; i++)
		if (i != DS_D_VM_ALLOC && i != DS_D_VM_TABLE_FULL && i != DS_D_TASK)
			seq_printf(m, "drop_%s %llu\n", ds_drop_names[i], d[i]);
	ds_seq_header(m, "# vcpu id");
	rcu_read_lock();
	ds_vm_totals(vm, &sum);
	seq_puts(m, "total -");
	ds_seq_counters(m, &sum);
	ds_for_each_vcpu(vm, i, vc) {
		seq_printf(m, "%u %u", vc->index, vc->id);
		ds_seq_counters(m, &vc->c);
	}
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ds_stats);

/* m->private is the VM, as for stats. */
static int ds_spp_pages_show(struct seq_file *m, void *v)
{
	struct ds_vm *vm = m->private;

	ds_spp_show(m, &vm->spp);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ds_spp_pages);

static int ds_spp_capability_show(struct seq_file *m, void *v)
{
	ds_spp_caps_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ds_spp_capability);

/* On ds_wq. A failure only costs the VM its debugfs view. */
void ds_debugfs_add_vm(struct ds_vm *vm)
{
	char alt[DS_NAME_LEN + 24];
	struct dentry *dir;

	if (IS_ERR_OR_NULL(ds_root))
		return;
	dir = debugfs_create_dir(vm->name, ds_root);
	if (IS_ERR(dir)) {
		/* Same "<pid>-<fd>" as a VM not yet torn down: keep both. */
		snprintf(alt, sizeof(alt), "%s.%llu", vm->name, vm->id);
		dir = debugfs_create_dir(alt, ds_root);
	}
	if (IS_ERR(dir)) {
		pr_warn_ratelimited("no debugfs directory for VM %s\n", vm->name);
		return;
	}
	debugfs_create_file("stats", 0400, dir, vm, &ds_stats_fops);
	debugfs_create_file("spp", 0400, dir, vm, &ds_spp_pages_fops);
	vm->dir = dir;
}

/* On ds_wq, before vm is freed. */
void ds_debugfs_remove_vm(struct ds_vm *vm)
{
	debugfs_remove(vm->dir);
	vm->dir = NULL;
}

int ds_debugfs_init(void)
{
	struct dentry *spp, *fault;

	/* debugfs is a debugging aid: netlink works without it. */
	ds_root = debugfs_create_dir(DIRTYSCOPE_DEBUGFS_DIR, NULL);
	if (IS_ERR(ds_root)) {
		pr_warn("debugfs unavailable (%ld)\n", PTR_ERR(ds_root));
		return 0;
	}
	debugfs_create_file("vms", 0400, ds_root, NULL, &ds_vms_fops);
	debugfs_create_file("status", 0400, ds_root, NULL, &ds_status_fops);
	debugfs_create_file("allocations", 0400, ds_root, NULL,
			    &ds_allocations_fops);
	/* Test knobs: the next N takes of that pool entry fail (pool.c). */
	fault = debugfs_create_dir("fault", ds_root);
	debugfs_create_atomic_t("vm_alloc", 0600, fault, &ds_fault_vm_alloc);
	debugfs_create_atomic_t("vcpu_alloc", 0600, fault, &ds_fault_vcpu_alloc);
	debugfs_create_atomic_t("task_alloc", 0600, fault, &ds_fault_task_alloc);
	debugfs_create_atomic_t("no_name", 0600, fault, &ds_fault_no_name);
	/* Not a count: while set, every VM has one key (vm_table.c). */
	debugfs_create_bool("same_key", 0600, fault, &ds_fault_same_key);
	spp = debugfs_create_dir("spp", ds_root);
	debugfs_create_file("capability", 0444, spp, NULL,
			    &ds_spp_capability_fops);
	return 0;
}

void ds_debugfs_exit(void)
{
	debugfs_remove(ds_root);
	ds_root = NULL;
}
