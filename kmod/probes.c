// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching to KVM: tracepoint probes for the events we count and a kprobe
 * that tells us when a VM is destroyed.
 *
 * KVM may be built in (found with for_each_kernel_tracepoint()) or kvm.ko
 * (found with the tracepoint module notifier, which also replays modules
 * already loaded and tells us when kvm.ko goes away, before its tracepoints
 * are checked for leftover probes). We never link against kvm.ko symbols,
 * so dirtyscope.ko loads with or without kvm.ko and does not pin it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/tracepoint.h>
#include <trace/events/kvm.h>
#include <uapi/linux/dirtyscope.h>

#include "dirtyscope.h"

/* x86 SPTE bit 1 is "writable" for shadow paging, NPT and EPT alike. */
#define DS_SPTE_WRITABLE	BIT_ULL(1)

static void ds_max(atomic_t *v, u32 val)
{
	u32 old = atomic_read(v);

	while (val > old) {
		u32 seen = atomic_cmpxchg(v, old, val);

		if (seen == old)
			break;
		old = seen;
	}
}

/*
 * Probe prototypes are (void *data, TP_PROTO...). The generic kvm events
 * come from <trace/events/kvm.h>, which the headers package ships, and
 * are checked by the compiler below. The x86 ones (arch/x86/kvm/trace.h,
 * mmutrace.h) are not shipped; these match the BTF of Debian's 6.1 kvm.ko,
 * and vm/check-tracepoints.sh re-checks that BTF before every VM test.
 */
static void ds_probe_ring_push(void *data, struct kvm_dirty_ring *ring,
			       u32 slot, u64 offset)
{
	/* KVM only ever pushes to a vCPU's own ring. */
	struct kvm_vcpu *vcpu = container_of(ring, struct kvm_vcpu, dirty_ring);
	struct ds_vcpu *vc;
	struct ds_vm *vm;

	rcu_read_lock();
	vc = ds_vcpu_get(vcpu, &vm, true);
	if (vc) {
		/* The tracepoint fires after dirty_index moved past the entry. */
		u32 used = READ_ONCE(ring->dirty_index) -
			   READ_ONCE(ring->reset_index);

		atomic64_inc(&vc->c.ring_pushes);
		atomic_set(&vc->c.ring_size, ring->size);
		ds_max(&vc->c.ring_high_water, used);
	}
	rcu_read_unlock();
}

static void ds_probe_ring_reset(void *data, struct kvm_dirty_ring *ring)
{
	struct kvm_vcpu *vcpu = container_of(ring, struct kvm_vcpu, dirty_ring);
	struct ds_vcpu *vc;
	struct ds_vm *vm;
	u32 idx, entries;

	rcu_read_lock();
	vc = ds_vcpu_get(vcpu, &vm, true);
	if (vc) {
		/* Fires after reset_index advanced over the harvested entries. */
		idx = READ_ONCE(ring->reset_index);
		entries = idx - vc->last_reset_index;
		vc->last_reset_index = idx;
		atomic64_inc(&vc->c.ring_resets);
		atomic64_add(entries, &vc->c.ring_reset_entries);
		ds_netlink_event(vm, vc, DIRTYSCOPE_EVENT_RING_RESET, entries);
	}
	rcu_read_unlock();
}

static void ds_probe_ring_exit(void *data, struct kvm_vcpu *vcpu)
{
	struct ds_vcpu *vc;
	struct ds_vm *vm;

	rcu_read_lock();
	vc = ds_vcpu_get(vcpu, &vm, true);
	if (vc) {
		atomic64_inc(&vc->c.ring_full_exits);
		ds_netlink_event(vm, vc, DIRTYSCOPE_EVENT_RING_FULL, 0);
	}
	rcu_read_unlock();
}

static void ds_probe_page_fault(void *data, struct kvm_vcpu *vcpu,
				u64 fault_address, u64 error_code)
{
	struct ds_vcpu *vc;

	rcu_read_lock();
	vc = ds_task_note_vcpu(vcpu, true);
	if (vc)
		atomic64_inc(&vc->c.page_faults);
	rcu_read_unlock();
}

/* Only for attribution of kvm_mmu_set_spte; see ds_task in core.c. */
static void ds_probe_exit(void *data, struct kvm_vcpu *vcpu, u32 isa)
{
	rcu_read_lock();
	/* Counts nothing itself: an untracked VM here loses no event. */
	ds_task_note_vcpu(vcpu, false);
	rcu_read_unlock();
}

static void ds_probe_set_spte(void *data, int level, gfn_t gfn, u64 *sptep)
{
	struct ds_vcpu *vc;
	struct ds_vm *vm;

	rcu_read_lock();
	vc = ds_task_vcpu(&vm);
	if (vc) {
		atomic64_inc(&vc->c.set_spte);
		/* KVM reads *sptep in this tracepoint too: it is mapped here. */
		if (READ_ONCE(*sptep) & DS_SPTE_WRITABLE)
			atomic64_inc(&vc->c.set_spte_writable);
	} else {
		atomic64_inc(&ds_unattributed);
	}
	rcu_read_unlock();
}

/*
 * kvm:kvm_mmio carries no vCPU or VM: like set_spte it fires in the vCPU's
 * thread while it emulates the access, after the exit we noted. Only
 * writes matter (SPP, see spp.c).
 */
static void ds_probe_mmio(void *data, int type, int len, u64 gpa, void *val)
{
	struct ds_vcpu *vc;
	struct ds_vm *vm;

	if (type != KVM_TRACE_MMIO_WRITE || len <= 0)
		return;
	rcu_read_lock();
	vc = ds_task_vcpu(&vm);
	if (vc)
		ds_spp_write(vm, vc, gpa, len, val);
	rcu_read_unlock();
}

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
	{ "kvm_page_fault",		ds_probe_page_fault },
	{ "kvm_mmu_set_spte",		ds_probe_set_spte },
	{ "kvm_exit",			ds_probe_exit },
	{ "kvm_mmio",			ds_probe_mmio },
};

/*
 * ds_attach_lock serialises attach/detach; ds_kvm_mod is the module whose
 * tracepoints we hold (NULL with ds_builtin for a built-in KVM).
 */
static DEFINE_MUTEX(ds_attach_lock);
static struct module *ds_kvm_mod;
static bool ds_builtin;
static bool ds_kprobe_armed;
/* Set on unload: the notifier's replayed GOING events are then ours. */
static bool ds_shutdown;
static struct kprobe ds_destroy_kp;

static int ds_destroy_pre(struct kprobe *p, struct pt_regs *regs)
{
	ds_vm_kill(regs_get_kernel_argument(regs, 0));
	return 0;
}

/*
 * kvm_arch_destroy_vm(kvm) runs exactly once per VM, from kvm_destroy_vm()
 * when the last reference is dropped, with kvm still valid. It is a global
 * function in KVM's x86 code, so it is never inlined into its caller.
 */
static void ds_kprobe_arm(void)
{
	int ret;

	memset(&ds_destroy_kp, 0, sizeof(ds_destroy_kp));
	ds_destroy_kp.symbol_name = "kvm_arch_destroy_vm";
	ds_destroy_kp.pre_handler = ds_destroy_pre;
	ret = register_kprobe(&ds_destroy_kp);
	if (ret) {
		pr_warn("cannot probe kvm_arch_destroy_vm (%d); stats of dead VMs stay until KVM unloads\n",
			ret);
		return;
	}
	/*
	 * An int3-based kprobe runs its handler in NMI-like context, where
	 * ds_lock must not be taken; the ftrace-based one runs in the
	 * caller's process context.
	 */
	if (!kprobe_ftrace(&ds_destroy_kp)) {
		unregister_kprobe(&ds_destroy_kp);
		pr_warn("kvm_arch_destroy_vm probe is not ftrace-based; stats of dead VMs stay until KVM unloads\n");
		return;
	}
	ds_kprobe_armed = true;
}

static void ds_kprobe_disarm(void)
{
	if (ds_kprobe_armed)
		unregister_kprobe(&ds_destroy_kp);
	ds_kprobe_armed = false;
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
	unsigned int n = 0;
	struct ds_tp *d;

	for (d = ds_tps; d < ds_tps + ARRAY_SIZE(ds_tps); d++)
		n += !!d->tp;
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
	struct ds_tp *d;

	mutex_lock(&ds_attach_lock);
	seq_printf(m, "kvm: %s\n", ds_kvm_mod ? "module" :
		   ds_builtin ? "built-in" : "absent");
	seq_printf(m, "teardown_probe: %s\n",
		   ds_kprobe_armed ? "kvm_arch_destroy_vm" : "none");
	for (d = ds_tps; d < ds_tps + ARRAY_SIZE(ds_tps); d++)
		seq_printf(m, "tracepoint %s: %s\n", d->name,
			   d->tp ? "attached" : "detached");
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
