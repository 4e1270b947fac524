// SPDX-License-Identifier: GPL-2.0
/*
 * The VM-teardown hook: kvm_arch_destroy_vm() tells us a VM is being
 * destroyed (ds_vm_kill()). An ftrace-based kprobe where kprobes on ftrace
 * exist (x86), else an ftrace callback on the same function (arm64), else
 * none (probes.h says which this kernel allows). Also
 * ds_ftrace_on/off, the function-entry hooking attach.c uses for arm64's
 * stage-2 callbacks. Callers hold ds_attach_lock (attach.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/kvm_host.h>

#include "dirtyscope.h"
#include "probes.h"

bool ds_kprobe_armed;

#if DS_FN_HOOKS
/* Hook the entry of one global function; 0 or -errno (not traceable...). */
int ds_ftrace_on(struct ftrace_ops *ops, const char *name)
{
	int ret = ftrace_set_filter(ops, (unsigned char *)name, strlen(name), 1);

	if (!ret)
		ret = register_ftrace_function(ops);
	if (ret)
		ftrace_free_filter(ops);
	return ret;
}

/* Returns once no callback of ops runs any more. */
void ds_ftrace_off(struct ftrace_ops *ops)
{
	unregister_ftrace_function(ops);
	ftrace_free_filter(ops);
}
#endif

#if DS_TEARDOWN_FTRACE
static void ds_ftrace_destroy(unsigned long ip, unsigned long parent_ip,
			      struct ftrace_ops *op, struct ftrace_regs *fregs)
{
#ifdef CONFIG_ARM64
	if (fregs)
		ds_vm_kill(ftrace_regs_get_argument(fregs, 0));
#else
	/* x86 hands arguments over only in saved registers. */
	struct pt_regs *regs = fregs ? ftrace_get_regs(fregs) : NULL;

	if (regs)
		ds_vm_kill(regs_get_kernel_argument(regs, 0));
#endif
}

static struct ftrace_ops ds_destroy_ops = {
	.func = ds_ftrace_destroy,
#ifndef CONFIG_ARM64
	.flags = FTRACE_OPS_FL_SAVE_REGS,
#endif
};

/* kvm_arch_destroy_vm(kvm): see the kprobe variant below for why. */
void ds_kprobe_arm(void)
{
	int ret = ds_ftrace_on(&ds_destroy_ops, "kvm_arch_destroy_vm");

	if (ret) {
		pr_warn("cannot hook kvm_arch_destroy_vm with ftrace (%d); stats of dead VMs stay until KVM unloads\n",
			ret);
		return;
	}
	ds_kprobe_armed = true;
}

void ds_kprobe_disarm(void)
{
	if (ds_kprobe_armed)
		ds_ftrace_off(&ds_destroy_ops);
	ds_kprobe_armed = false;
}
#elif DS_TEARDOWN_KPROBE
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
void ds_kprobe_arm(void)
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

void ds_kprobe_disarm(void)
{
	if (ds_kprobe_armed)
		unregister_kprobe(&ds_destroy_kp);
	ds_kprobe_armed = false;
}

#else
/* No way to see a VM die on this kernel: say so once, keep ds_kprobe_armed false. */
void ds_kprobe_arm(void)
{
	pr_warn("no VM teardown hook: " DS_NO_HOOKS_REASON "\n");
}

void ds_kprobe_disarm(void)
{
}
#endif
