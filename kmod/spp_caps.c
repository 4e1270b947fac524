// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs dirtyscope/spp/capability: does this CPU have hardware SPP, and
 * what the module offers instead. Hardware SPP is the "sub-page write
 * permissions" VM-execution control: bit 23 of the secondary
 * processor-based controls, usable iff it is allowed-1, i.e. set in the
 * high dword of IA32_VMX_PROCBASED_CTLS2. That MSR exists only with VMX
 * and when the primary controls allow-1 "activate secondary controls"
 * (bit 31, high dword of IA32_VMX_PROCBASED_CTLS). Stock KVM does not use
 * SPP (the series was never merged), so this is information only.
 */
#include <linux/bits.h>
#include <linux/seq_file.h>

#include "dirtyscope.h"

#ifdef CONFIG_X86
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>

#define DS_VMX_ACTIVATE_SECONDARY	BIT(31)	/* PROCBASED_CTLS */
#define DS_VMX_SPP			BIT(23)	/* PROCBASED_CTLS2 */

/* NULL when present, else why not. Reads MSRs of the current CPU. */
static const char *ds_spp_hw_absent(void)
{
	u32 lo, hi;

	if (!boot_cpu_has(X86_FEATURE_VMX))
		return "no VMX";
	if (rdmsr_safe(MSR_IA32_VMX_PROCBASED_CTLS, &lo, &hi))
		return "cannot read IA32_VMX_PROCBASED_CTLS";
	if (!(hi & DS_VMX_ACTIVATE_SECONDARY))
		return "no secondary processor-based controls";
	if (rdmsr_safe(MSR_IA32_VMX_PROCBASED_CTLS2, &lo, &hi))
		return "cannot read IA32_VMX_PROCBASED_CTLS2";
	if (!(hi & DS_VMX_SPP))
		return "sub-page write permission control (PROCBASED_CTLS2 bit 23) not allowed";
	return NULL;
}
#else
/* SPP is an Intel VMX execution control; other CPUs have no such thing. */
static const char *ds_spp_hw_absent(void)
{
	return "not x86 (SPP is an Intel VMX feature)";
}
#endif

void ds_spp_caps_show(struct seq_file *m)
{
	const char *why = ds_spp_hw_absent();

	if (why)
		seq_printf(m, "hardware: absent: %s\n", why);
	else
		seq_puts(m, "hardware: present\n");
	seq_puts(m, "model: available (read-only memslots + KVM_EXIT_MMIO)\n");
}
