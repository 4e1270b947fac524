// SPDX-License-Identifier: GPL-2.0
/*
 * arm64's own probes (each asks ds_running_vcpu() which vCPU runs here):
 * kvm_guest_fault for page_faults and,
 * for set_spte, ftrace callbacks on the stage-2 page-table functions the
 * fault path calls (arm64 has no tracepoint when a stage-2 entry is made).
 * arm64's own kvm_exit has another prototype (no vCPU) and must never get
 * x86's probe. Prototypes: probe-prototypes-arm64.txt. Built only for
 * arm64 (Kbuild).
 */
#include <linux/ftrace.h>
#include <linux/kvm_host.h>
#include <asm/kvm_pgtable.h>

#include "dirtyscope.h"
#include "probes.h"

#if !DS_OWN_RUNNING_VCPU
/* KVM is always built in on arm64: linking its export is fine. */
static struct kvm_vcpu *ds_running_vcpu(void)
{
	return kvm_get_running_vcpu();
}
#endif

/*
 * kvm:kvm_guest_fault (arch/arm64/kvm/trace_arm.h, not in the headers
 * package): every stage-2 abort kvm_handle_guest_abort() handles, memory
 * and MMIO alike, like x86's kvm_page_fault. It carries no vCPU, but runs
 * inside KVM_RUN with the vCPU loaded on this CPU.
 */
void ds_probe_guest_fault(void *data, unsigned long vcpu_pc,
			  unsigned long esr, unsigned long far,
			  unsigned long long ipa)
{
	struct kvm_vcpu *vcpu = ds_running_vcpu();
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

#if DS_FN_HOOKS
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
	struct kvm_vcpu *vcpu = ds_running_vcpu();
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
void ds_ftrace_stage2_map(unsigned long ip, unsigned long parent_ip,
			  struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	ds_stage2_count(fregs, 4);
}

/* (pgt, addr, prot) */
void ds_ftrace_stage2_relax(unsigned long ip, unsigned long parent_ip,
			    struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	ds_stage2_count(fregs, 2);
}
#endif /* DS_FN_HOOKS */
