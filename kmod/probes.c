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
 *
 * The generic kvm events (dirty ring, mmio) are the same everywhere; the
 * rest is per architecture. x86: kvm_page_fault, kvm_exit and
 * kvmmmu:kvm_mmu_set_spte. arm64 (KVM is always built in there, so linking
 * kvm_get_running_vcpu() is fine): kvm_guest_fault for page_faults and,
 * for set_spte, ftrace callbacks on the stage-2 page-table functions the
 * fault path calls (arm64 has no tracepoint when a stage-2 entry is made).
 * arm64's own kvm_exit has another prototype (no vCPU) and must never get
 * x86's probe: each table lists only its architecture's events.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/kvm_host.h>
#ifdef CONFIG_ARM64
#include <asm/kvm_pgtable.h>
#endif
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/tracepoint.h>
#include <trace/events/kvm.h>
#include <uapi/linux/dirtyscope.h>

#include "dirtyscope.h"

#ifdef CONFIG_X86
/* x86 SPTE bit 1 is "writable" for shadow paging, NPT and EPT alike. */
#define DS_SPTE_WRITABLE	BIT_ULL(1)
#endif

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

#ifdef CONFIG_X86
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
#endif /* CONFIG_X86 */

#ifdef CONFIG_ARM64
/*
 * kvm:kvm_guest_fault (arch/arm64/kvm/trace_arm.h, not in the headers
 * package): every stage-2 abort kvm_handle_guest_abort() handles, memory
 * and MMIO alike, like x86's kvm_page_fault. It carries no vCPU, but runs
 * inside KVM_RUN with the vCPU loaded on this CPU.
 */
static void ds_probe_guest_fault(void *data, unsigned long vcpu_pc,
				 unsigned long esr, unsigned long far,
				 unsigned long long ipa)
{
	struct kvm_vcpu *vcpu = kvm_get_running_vcpu();
	struct ds_vcpu *vc;

	if (!vcpu)
		return;
	rcu_read_lock();
	/* Also remembers the vCPU for kvm_mmio (ds_task_vcpu()). */
	vc = ds_task_note_vcpu(vcpu, true);
	if (vc)
		atomic64_inc(&vc->c.page_faults);
	rcu_read_unlock();
}

/*
 * set_spte's counterpart: the stage-2 fault path (user_mem_abort()) makes
 * an entry with kvm_pgtable_stage2_map() (translation fault) or adds
 * permissions with kvm_pgtable_stage2_relax_perms() (permission fault:
 * the first write to a page write-protected for dirty logging). Both are
 * global and ftrace-able; arm64 has no kprobes on ftrace, and a BRK
 * kprobe's handler runs in debug-exception context, so these are ftrace
 * callbacks (process context, preemption off). Outside a vCPU (no
 * running vCPU) it is not a fault and is not counted.
 */
static void ds_stage2_count(struct ftrace_regs *fregs, unsigned int prot_arg)
{
	struct kvm_vcpu *vcpu = kvm_get_running_vcpu();
	struct ds_vcpu *vc;
	struct ds_vm *vm;

	if (!vcpu || !fregs)
		return;
	rcu_read_lock();
	vc = ds_vcpu_get(vcpu, &vm, false);
	if (vc) {
		atomic64_inc(&vc->c.set_spte);
		if (ftrace_regs_get_argument(fregs, prot_arg) & KVM_PGTABLE_PROT_W)
			atomic64_inc(&vc->c.set_spte_writable);
	} else {
		atomic64_inc(&ds_unattributed);
	}
	rcu_read_unlock();
}

/* (pgt, addr, size, phys, prot, mc, flags) */
static void ds_ftrace_stage2_map(unsigned long ip, unsigned long parent_ip,
				 struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	ds_stage2_count(fregs, 4);
}

/* (pgt, addr, prot) */
static void ds_ftrace_stage2_relax(unsigned long ip, unsigned long parent_ip,
				   struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	ds_stage2_count(fregs, 2);
}
#endif /* CONFIG_ARM64 */

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
	struct ftrace_ops ops;
	bool on;
};

#ifdef CONFIG_ARM64
static struct ds_fn ds_fns[] = {
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
static bool ds_kprobe_armed;
/* Set on unload: the notifier's replayed GOING events are then ours. */
static bool ds_shutdown;

/*
 * Without kprobes on ftrace (arm64), a kprobe is a BRK whose handler runs
 * in debug-exception context; an ftrace callback on the same function
 * runs in the caller's context, which is what the teardown hook needs.
 */
#if !defined(CONFIG_KPROBES_ON_FTRACE) && defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
#define DS_TEARDOWN_FTRACE 1
#else
#define DS_TEARDOWN_FTRACE 0
#endif

#if DS_TEARDOWN_FTRACE || defined(CONFIG_ARM64)
/* Hook the entry of one global function; 0 or -errno (not traceable...). */
static int ds_ftrace_on(struct ftrace_ops *ops, const char *name)
{
	int ret = ftrace_set_filter(ops, (unsigned char *)name, strlen(name), 1);

	if (!ret)
		ret = register_ftrace_function(ops);
	if (ret)
		ftrace_free_filter(ops);
	return ret;
}

/* Returns once no callback of ops runs any more. */
static void ds_ftrace_off(struct ftrace_ops *ops)
{
	unregister_ftrace_function(ops);
	ftrace_free_filter(ops);
}
#endif

#if DS_TEARDOWN_FTRACE
static void ds_ftrace_destroy(unsigned long ip, unsigned long parent_ip,
			      struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	if (fregs)
		ds_vm_kill(ftrace_regs_get_argument(fregs, 0));
}

static struct ftrace_ops ds_destroy_ops = { .func = ds_ftrace_destroy };

/* kvm_arch_destroy_vm(kvm): see the kprobe variant below for why. */
static void ds_kprobe_arm(void)
{
	int ret = ds_ftrace_on(&ds_destroy_ops, "kvm_arch_destroy_vm");

	if (ret) {
		pr_warn("cannot hook kvm_arch_destroy_vm with ftrace (%d); stats of dead VMs stay until KVM unloads\n",
			ret);
		return;
	}
	ds_kprobe_armed = true;
}

static void ds_kprobe_disarm(void)
{
	if (ds_kprobe_armed)
		ds_ftrace_off(&ds_destroy_ops);
	ds_kprobe_armed = false;
}
#else
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

#endif /* DS_TEARDOWN_FTRACE */

/* The function-entry callbacks (ds_fns); ds_attach_lock held. */
static void ds_attach_fns(void)
{
#ifdef CONFIG_ARM64
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
#ifdef CONFIG_ARM64
	struct ds_fn *f;

	for (f = ds_fns; f < ds_fns + ARRAY_SIZE(ds_fns); f++) {
		if (f->on)
			ds_ftrace_off(&f->ops);
		f->on = false;
	}
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
