// SPDX-License-Identifier: GPL-2.0
/*
 * Test-harness only: tells a PREEMPT_RT guest kernel what QEMU's TCG cannot
 * advertise. KVM on PREEMPT_RT refuses to load without
 * X86_FEATURE_CONSTANT_TSC (a varying TSC rate needs cpufreq notifiers it
 * cannot run there). An AMD CPU reports it through CPUID 0x80000007 EDX
 * bit 8 (invariant TSC), which TCG filters out, although TCG's TSC ticks at
 * one fixed rate. vm/init.sh loads this before kvm.ko only when the guest
 * lacks the flag; it is never built for, or loaded on, real hardware.
 */
#include <linux/module.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>

static int __init tcg_constant_tsc_init(void)
{
	if (!boot_cpu_has(X86_FEATURE_TSC))
		return -ENODEV;
	set_bit(X86_FEATURE_CONSTANT_TSC, (unsigned long *)boot_cpu_data.x86_capability);
	pr_info("tcg_constant_tsc: TSC marked constant (QEMU TCG, fixed rate)\n");
	return 0;
}
module_init(tcg_constant_tsc_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dirtyscope VM harness: mark TCG's fixed-rate TSC constant for KVM on PREEMPT_RT");
