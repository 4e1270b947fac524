// SPDX-License-Identifier: GPL-2.0
/*
 * x86's own probes: kvm_page_fault (page_faults), kvm_exit (attribution
 * only) and kvmmmu:kvm_mmu_set_spte (set_spte, set_spte_writable). Their
 * tracepoints are declared in KVM's private arch/x86/kvm/ headers, which the
 * headers package does not ship: these prototypes match the BTF of
 * Debian's 6.1 kvm.ko, and vm/run.sh re-checks that BTF
 * before every VM test (probe-prototypes.txt). Built only for x86 (Kbuild).
 */
#include <linux/kvm_host.h>

#include "dirtyscope.h"
#include "probes.h"

/* x86 SPTE bit 1 is "writable" for shadow paging, NPT and EPT alike. */
#define DS_SPTE_WRITABLE	BIT_ULL(1)

void ds_probe_page_fault(void *data, struct kvm_vcpu *vcpu,
			 u64 fault_address, u64 error_code)
{
	struct ds_vcpu *vc;

	rcu_read_lock();
	vc = ds_task_note_vcpu(vcpu, true);
	if (vc)
		atomic64_inc(&vc->c.page_faults);
	rcu_read_unlock();
}

/* Only for attribution of kvm_mmu_set_spte; see ds_task in attribution.c. */
void ds_probe_exit(void *data, struct kvm_vcpu *vcpu, u32 isa)
{
	rcu_read_lock();
	/* Counts nothing itself: an untracked VM here loses no event. */
	ds_task_note_vcpu(vcpu, false);
	rcu_read_unlock();
}

void ds_probe_set_spte(void *data, int level, gfn_t gfn, u64 *sptep)
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
