/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the probes (probes.c, probes_x86.c, probes_arm64.c), the teardown
 * hook (teardown.c) and attaching (attach.c) share. Probe prototypes are
 * (void *data, TP_PROTO...); attach.c's tables reference them.
 */
#ifndef DIRTYSCOPE_PROBES_H
#define DIRTYSCOPE_PROBES_H

#include <linux/kvm_types.h>
#include <linux/types.h>

struct ftrace_ops;
struct ftrace_regs;
struct kvm_dirty_ring;
struct kvm_vcpu;

/* probes.c: every architecture. */
void ds_probe_ring_push(void *data, struct kvm_dirty_ring *ring, u32 slot,
			u64 offset);
void ds_probe_ring_reset(void *data, struct kvm_dirty_ring *ring);
void ds_probe_ring_exit(void *data, struct kvm_vcpu *vcpu);
void ds_probe_mmio(void *data, int type, int len, u64 gpa, void *val);

#ifdef CONFIG_X86
/* probes_x86.c */
void ds_probe_page_fault(void *data, struct kvm_vcpu *vcpu, u64 fault_address,
			 u64 error_code);
void ds_probe_exit(void *data, struct kvm_vcpu *vcpu, u32 isa);
void ds_probe_set_spte(void *data, int level, gfn_t gfn, u64 *sptep);
#endif

#ifdef CONFIG_ARM64
/* probes_arm64.c */
void ds_probe_guest_fault(void *data, unsigned long vcpu_pc, unsigned long esr,
			  unsigned long far, unsigned long long ipa);
#endif
/*
 * arm64's probes ask which vCPU runs on this CPU. Newer KVM (Debian's
 * 7.2 and 7.3-rc among them) keeps kvm_get_running_vcpu() to its own
 * modules (EXPORT_SYMBOL_FOR_KVM_INTERNAL, from <linux/kvm_types.h>), and
 * a built-in KVM exports it to nobody: there running_vcpu_arm64.c follows
 * kvm_arch_vcpu_load()/kvm_arch_vcpu_put() instead.
 */
#if defined(CONFIG_ARM64) && defined(EXPORT_SYMBOL_FOR_KVM_INTERNAL)
#define DS_OWN_RUNNING_VCPU 1
struct kvm_vcpu *ds_running_vcpu(void);
void ds_running_vcpu_forget(void);
#else
#define DS_OWN_RUNNING_VCPU 0
#endif
#if defined(CONFIG_ARM64) && defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
void ds_ftrace_vcpu_load(unsigned long ip, unsigned long parent_ip,
			 struct ftrace_ops *op, struct ftrace_regs *fregs);
void ds_ftrace_vcpu_put(unsigned long ip, unsigned long parent_ip,
			struct ftrace_ops *op, struct ftrace_regs *fregs);
void ds_ftrace_stage2_map(unsigned long ip, unsigned long parent_ip,
			  struct ftrace_ops *op, struct ftrace_regs *fregs);
void ds_ftrace_stage2_relax(unsigned long ip, unsigned long parent_ip,
			    struct ftrace_ops *op, struct ftrace_regs *fregs);
#endif

/*
 * Which hooks this kernel allows; the tracepoints are all the core needs.
 *
 * Function-entry callbacks that read their function's arguments
 * (DS_FN_HOOKS) need the function tracer with arguments (arm64) or with
 * registers (x86); a kernel built without it (a defconfig has no function
 * tracer) gets none, and the module leaves out what needs them (arm64's
 * stage-2 counters).
 *
 * The VM-teardown hook on kvm_arch_destroy_vm(): a kprobe on ftrace where
 * the kernel has one (x86); else an ftrace callback on the same function
 * (arm64, where a plain kprobe is a BRK whose handler runs in
 * debug-exception context, not the caller's); else none, and the status
 * says so.
 */
#if (defined(CONFIG_ARM64) && defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)) || \
	(defined(CONFIG_X86) && defined(CONFIG_DYNAMIC_FTRACE_WITH_REGS))
#define DS_FN_HOOKS 1
#else
#define DS_FN_HOOKS 0
#endif
#if defined(CONFIG_KPROBES_ON_FTRACE)
#define DS_TEARDOWN_KPROBE 1
#define DS_TEARDOWN_FTRACE 0
#elif DS_FN_HOOKS
#define DS_TEARDOWN_KPROBE 0
#define DS_TEARDOWN_FTRACE 1
#else
#define DS_TEARDOWN_KPROBE 0
#define DS_TEARDOWN_FTRACE 0
#endif
/* Why there is no teardown hook or function hook, for the status. */
#define DS_NO_HOOKS_REASON \
	"kernel built without CONFIG_KPROBES_ON_FTRACE and without the function tracer"

/* teardown.c; ds_attach_lock (attach.c) held. */
extern bool ds_kprobe_armed;
void ds_kprobe_arm(void);
void ds_kprobe_disarm(void);
#if DS_FN_HOOKS
int ds_ftrace_on(struct ftrace_ops *ops, const char *name);
void ds_ftrace_off(struct ftrace_ops *ops);
#endif

#endif /* DIRTYSCOPE_PROBES_H */
