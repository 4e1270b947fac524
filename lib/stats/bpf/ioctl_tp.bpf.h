/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Dirty-log ioctl latency from the classic syscall tracepoints. Both BPF
 * objects (CO-RE and BTF-free) carry these two programs; they are the same
 * in both, so they live here once. sys_enter_ioctl/sys_exit_ioctl are not
 * BTF-typed tracepoints, which is why even the CO-RE object uses tp/.
 * Needs tp_ctx.h and dirty_stats_common.bpf.h included first.
 */
#ifndef DIRTYSCOPE_IOCTL_TP_BPF_H
#define DIRTYSCOPE_IOCTL_TP_BPF_H

SEC("tp/syscalls/sys_enter_ioctl")
int tp_sys_enter_ioctl(struct ds_tp_sys_enter_ioctl *ctx)
{
	ds_on_ioctl_enter((__u32)ctx->cmd);
	return 0;
}

SEC("tp/syscalls/sys_exit_ioctl")
int tp_sys_exit_ioctl(struct ds_tp_sys_exit_ioctl *ctx)
{
	(void)ctx;
	ds_on_ioctl_exit();
	return 0;
}

#endif
