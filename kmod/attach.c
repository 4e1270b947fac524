// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching to KVM: which tracepoints and functions we hook (the probes
 * are in probes.c and probes_<arch>.c), attaching them and the teardown
 * hook (teardown.c), detaching, and the debugfs status lines about them.
 *
 * KVM may be built in (found with for_each_kernel_tracepoint()) or kvm.ko
 * (found with the tracepoint module notifier, which also replays modules
 * already loaded and tells us when kvm.ko goes away, before its tracepoints
 * are checked for leftover probes). We never link against kvm.ko symbols,
 * so dirtyscope.ko loads with or without kvm.ko and does not pin it.
 *
 * The generic kvm events (dirty ring, mmio) are the same everywhere; the
 * rest is per architecture. x86: kvm_page_fault, kvm_exit and
 * kvmmmu:kvm_mmu_set_spte. arm64: kvm_guest_fault and ftrace callbacks on
 * kvm_pgtable_stage2_map() and kvm_pgtable_stage2_relax_perms(). arm64's
 * own kvm_exit has another prototype (no vCPU) and must never get x86's
 * probe: the table lists only this architecture's events.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/tracepoint.h>
#include <trace/events/kvm.h>

#include "dirtyscope.h"
#include "probes.h"

/* Compile-time check against the shipped generic prototypes (unevaluated). */
static inline void ds_check_generic_prototypes(void)
{
	BUILD_BUG_ON(sizeof(register_trace_kvm_dirty_ring_push(ds_probe_ring_push, NULL)) != sizeof(int));
	BUILD_BUG_ON(sizeof(register_trace_kvm_dirty_ring_reset(ds_probe_ring_reset, NULL)) != sizeof(int));
	BUILD_BUG_ON(sizeof(register_trace_kvm_dirty_ring_exit(ds_probe_ring_exit, NULL)) != sizeof(int));
	BUILD_BUG_ON(sizeof(register_trace_kvm_mmio(ds_probe_mmio, NULL)) != sizeof(int));
}

struct ds_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;		/* non-NULL while registered */
};

static struct ds_tp ds_tps[] = {
	{ "kvm_dirty_ring_push",	ds_probe_ring_push },
	{ "kvm_dirty_ring_reset",	ds_probe_ring_reset },
	{ "kvm_dirty_ring_exit",	ds_probe_ring_exit },
#ifdef CONFIG_X86
	{ "kvm_page_fault",		ds_probe_page_fault },
	{ "kvm_mmu_set_spte",		ds_probe_set_spte },
	{ "kvm_exit",			ds_probe_exit },
#endif
#ifdef CONFIG_ARM64
	{ "kvm_guest_fault",		ds_probe_guest_fault },
#endif
	{ "kvm_mmio",			ds_probe_mmio },
};

/*
 * Function-entry callbacks, for what has no tracepoint (arm64 only). Each
 * is attached with the tracepoints and shown in debugfs status as
 * "function <name>: attached|detached".
 */
struct ds_fn {
	const char *name;
#if DS_FN_HOOKS
	struct ftrace_ops ops;
#endif
	bool on;
};

#if defined(CONFIG_ARM64) && DS_FN_HOOKS
static struct ds_fn ds_fns[] = {
#if DS_OWN_RUNNING_VCPU
	/* put hooked before load: every load we see, we see put. */
	{ "kvm_arch_vcpu_put", { .func = ds_ftrace_vcpu_put } },
	{ "kvm_arch_vcpu_load", { .func = ds_ftrace_vcpu_load } },
#endif
	{ "kvm_pgtable_stage2_map", { .func = ds_ftrace_stage2_map } },
	{ "kvm_pgtable_stage2_relax_perms", { .func = ds_ftrace_stage2_relax } },
};
#else
static struct ds_fn ds_fns[0];
#endif

/*
 * ds_attach_lock serialises attach/detach; ds_kvm_mod is the module whose
 * tracepoints we hold (NULL with ds_builtin for a built-in KVM).
 */
static DEFINE_MUTEX(ds_attach_lock);
static struct module *ds_kvm_mod;
static bool ds_builtin;
/* Set on unload: the notifier's replayed GOING events are then ours. */
static bool ds_shutdown;

/* The function-entry callbacks (ds_fns); ds_attach_lock held. */
static void ds_attach_fns(void)
{
#if defined(CONFIG_ARM64) && DS_FN_HOOKS
	struct ds_fn *f;
	int ret;

	for (f = ds_fns; f < ds_fns + ARRAY_SIZE(ds_fns); f++) {
		if (f->on)
			continue;
		ret = ds_ftrace_on(&f->ops, f->name);
		if (ret)
			pr_warn("cannot hook %s with ftrace: %d\n", f->name, ret);
		f->on = !ret;
	}
#endif
}

static void ds_detach_fns(void)
{
#if defined(CONFIG_ARM64) && DS_FN_HOOKS
	struct ds_fn *f;

	for (f = ds_fns; f < ds_fns + ARRAY_SIZE(ds_fns); f++) {
		if (f->on)
			ds_ftrace_off(&f->ops);
		f->on = false;
	}
#if DS_OWN_RUNNING_VCPU
	ds_running_vcpu_forget();
#endif
#endif
}

/* Register one tracepoint if it is one of ours. ds_attach_lock held. */
static void ds_attach_tp(struct tracepoint *tp)
{
	struct ds_tp *d;
	int ret;

	for (d = ds_tps; d < ds_tps + ARRAY_SIZE(ds_tps); d++) {
		if (d->tp || strcmp(tp->name, d->name))
			continue;
		ret = tracepoint_probe_register(tp, d->probe, NULL);
		if (ret)
			pr_warn("cannot attach to %s: %d\n", d->name, ret);
		else
			d->tp = tp;
		return;
	}
}

/* for_each_kernel_tracepoint() callback: find (priv NULL) or attach. */
static void ds_builtin_tp(struct tracepoint *tp, void *priv)
{
	bool *found = priv;
	struct ds_tp *d;

	if (!found) {
		ds_attach_tp(tp);
		return;
	}
	for (d = ds_tps; d < ds_tps + ARRAY_SIZE(ds_tps); d++)
		*found |= !strcmp(tp->name, d->name);
}

static void ds_attach_report(const char *where)
{
	unsigned int n = 0, nf = 0;
	struct ds_fn *f;
	struct ds_tp *d;

	for (d = ds_tps; d < ds_tps + ARRAY_SIZE(ds_tps); d++)
		n += !!d->tp;
	for (f = ds_fns; f < ds_fns + ARRAY_SIZE(ds_fns); f++)
		nf += f->on;
	if (ARRAY_SIZE(ds_fns))
		pr_info("hooked %u/%zu KVM functions with ftrace\n", nf,
			ARRAY_SIZE(ds_fns));
	pr_info("attached to %u/%zu KVM tracepoints (%s)%s\n", n,
		ARRAY_SIZE(ds_tps), where,
		ds_kprobe_armed ? "" : ", no VM teardown probe");
}

/* ds_attach_lock held. */
static void ds_detach(void)
{
	struct ds_tp *d;

	for (d = ds_tps; d < ds_tps + ARRAY_SIZE(ds_tps); d++) {
		if (!d->tp)
			continue;
		tracepoint_probe_unregister(d->tp, d->probe, NULL);
		d->tp = NULL;
	}
	ds_detach_fns();
	ds_kprobe_disarm();
	/* No probe of ours is still running on any CPU after this. */
	tracepoint_synchronize_unregister();
	/* Without KVM there are no VMs; drop what the kprobe did not. */
	ds_vm_kill_all();
	ds_kvm_mod = NULL;
	ds_builtin = false;
}

static int ds_tp_module_notify(struct notifier_block *nb, unsigned long val,
			       void *data)
{
	struct tp_module *tp_mod = data;
	struct module *mod = tp_mod->mod;
	tracepoint_ptr_t *p;

	if (strcmp(mod->name, "kvm"))
		return NOTIFY_OK;

	mutex_lock(&ds_attach_lock);
	if (ds_shutdown) {
		/* Unregistering replays GOING; we already detached. */
	} else if (val == MODULE_STATE_COMING && !ds_kvm_mod && !ds_builtin) {
		/* Teardown probe first: every VM we learn of can be dropped. */
		ds_kprobe_arm();
		for (p = mod->tracepoints_ptrs;
		     p < mod->tracepoints_ptrs + mod->num_tracepoints; p++)
			ds_attach_tp(tracepoint_ptr_deref(p));
		ds_attach_fns();
		ds_kvm_mod = mod;
		ds_attach_report("kvm.ko");
	} else if (val == MODULE_STATE_GOING && ds_kvm_mod == mod) {
		/* Must be done now: kvm.ko's tracepoints must have no probes. */
		ds_detach();
		pr_info("kvm.ko going away, detached\n");
	}
	mutex_unlock(&ds_attach_lock);
	return NOTIFY_OK;
}

static struct notifier_block ds_tp_module_nb = {
	.notifier_call = ds_tp_module_notify,
};

void ds_probes_show(struct seq_file *m)
{
	struct ds_fn *f;
	struct ds_tp *d;

	mutex_lock(&ds_attach_lock);
	seq_printf(m, "kvm: %s\n", ds_kvm_mod ? "module" :
		   ds_builtin ? "built-in" : "absent");
	seq_printf(m, "teardown_probe: %s\n",
		   ds_kprobe_armed ? "kvm_arch_destroy_vm" : "none");
	/* What this kernel's configuration left out, if anything. */
	if (!DS_TEARDOWN_KPROBE && !DS_TEARDOWN_FTRACE)
		seq_puts(m, "left_out: teardown_probe (" DS_NO_HOOKS_REASON ")\n");
#if defined(CONFIG_ARM64) && !DS_FN_HOOKS
	seq_puts(m, "left_out: stage-2 function hooks (kernel built without CONFIG_DYNAMIC_FTRACE_WITH_ARGS)\n");
#endif
	for (d = ds_tps; d < ds_tps + ARRAY_SIZE(ds_tps); d++)
		seq_printf(m, "tracepoint %s: %s\n", d->name,
			   d->tp ? "attached" : "detached");
	for (f = ds_fns; f < ds_fns + ARRAY_SIZE(ds_fns); f++)
		seq_printf(m, "function %s: %s\n", f->name,
			   f->on ? "attached" : "detached");
	mutex_unlock(&ds_attach_lock);
}

int ds_probes_init(void)
{
	bool found = false;
	int ret;

	ds_check_generic_prototypes();

	mutex_lock(&ds_attach_lock);
	/* Built-in KVM: its tracepoints are in the core kernel's section. */
	for_each_kernel_tracepoint(ds_builtin_tp, &found);
	if (found) {
		/* Teardown probe first: every VM we learn of can be dropped. */
		ds_kprobe_arm();
		for_each_kernel_tracepoint(ds_builtin_tp, NULL);
		ds_attach_fns();
		ds_builtin = true;
		ds_attach_report("built-in");
	}
	mutex_unlock(&ds_attach_lock);

	/* Calls us back for an already loaded kvm.ko, then on each load. */
	ret = register_tracepoint_module_notifier(&ds_tp_module_nb);
	if (ret) {
		mutex_lock(&ds_attach_lock);
		ds_shutdown = true;
		ds_detach();
		mutex_unlock(&ds_attach_lock);
	}
	return ret;
}

void ds_probes_exit(void)
{
	/* Detach first, then stop listening: a kvm.ko load in between is ignored. */
	mutex_lock(&ds_attach_lock);
	ds_shutdown = true;
	ds_detach();
	mutex_unlock(&ds_attach_lock);
	unregister_tracepoint_module_notifier(&ds_tp_module_nb);
}
