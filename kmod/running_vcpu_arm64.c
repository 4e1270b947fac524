// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU loaded on this CPU, for arm64's probes, whose events carry no
 * vCPU. Where KVM keeps kvm_get_running_vcpu() to its own modules
 * (EXPORT_SYMBOL_FOR_KVM_INTERNAL: exported to nobody when KVM is built
 * in, as on arm64), the module follows the vCPU itself: KVM calls
 * kvm_arch_vcpu_load() and kvm_arch_vcpu_put() with preemption off at the
 * start and end of every stretch a vCPU runs on a CPU (vcpu_load/vcpu_put
 * and the preempt notifiers), which is where KVM's own per-CPU running
 * vCPU is set and cleared. Built only when that export is missing
 * (DS_OWN_RUNNING_VCPU, probes.h); attach.c hooks the two functions.
 */
#include <linux/ftrace.h>
#include <linux/kvm_host.h>
#include <linux/percpu.h>

#include "probes.h"

#if DS_OWN_RUNNING_VCPU && DS_FN_HOOKS
static DEFINE_PER_CPU(struct kvm_vcpu *, ds_loaded_vcpu);

/* (vcpu, cpu) */
void ds_ftrace_vcpu_load(unsigned long ip, unsigned long parent_ip,
			 struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	if (fregs)
		this_cpu_write(ds_loaded_vcpu,
			       (struct kvm_vcpu *)ftrace_regs_get_argument(fregs, 0));
}

/* (vcpu): only that vCPU's own put clears it. */
void ds_ftrace_vcpu_put(unsigned long ip, unsigned long parent_ip,
			struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	if (fregs && this_cpu_read(ds_loaded_vcpu) ==
			     (struct kvm_vcpu *)ftrace_regs_get_argument(fregs, 0))
		this_cpu_write(ds_loaded_vcpu, NULL);
}

/*
 * Once the two hooks are off, a put they missed would leave a vCPU that
 * may be freed: forget every CPU's. The next load sets it again.
 */
void ds_running_vcpu_forget(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		per_cpu(ds_loaded_vcpu, cpu) = NULL;
}

struct kvm_vcpu *ds_running_vcpu(void)
{
	return this_cpu_read(ds_loaded_vcpu);
}
#elif DS_OWN_RUNNING_VCPU
/* No function tracer: no way to know; the probes count nothing. */
struct kvm_vcpu *ds_running_vcpu(void)
{
	return NULL;
}
#endif
