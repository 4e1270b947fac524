// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope.ko: per-VM and per-vCPU statistics of KVM dirty-page tracking,
 * gathered from KVM's tracepoints. This file: module init/exit, the
 * module's workqueue and SRCU, and the counting allocator every object of
 * ours goes through. The VM table is vm_table.c (names: vm_name.c), vCPU
 * and task attribution attribution.c, counters and drops counters.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>

#include "dirtyscope.h"
#include "vm_table.h"

struct workqueue_struct *ds_wq;
atomic64_t ds_allocs = ATOMIC64_INIT(0);
atomic64_t ds_frees = ATOMIC64_INIT(0);
struct srcu_struct ds_vm_srcu;

void *ds_zalloc(size_t size, gfp_t gfp)
{
	void *p = kzalloc(size, gfp);

	if (p)
		atomic64_inc(&ds_allocs);
	return p;
}

void ds_free(const void *p)
{
	if (!p)
		return;
	atomic64_inc(&ds_frees);
	kfree(p);
}

static int __init ds_init(void)
{
	int ret;

	ret = init_srcu_struct(&ds_vm_srcu);
	if (ret)
		return ret;
	ds_wq = alloc_ordered_workqueue("dirtyscope", 0);
	if (!ds_wq) {
		ret = -ENOMEM;
		goto err_srcu;
	}
	ret = ds_pool_init();
	if (ret)
		goto err_wq;
	ret = ds_debugfs_init();
	if (ret)
		goto err_wq;
	ret = ds_netlink_init();
	if (ret)
		goto err_debugfs;
	/* Last: once probes run, VMs appear and use all of the above. */
	ret = ds_probes_init();
	if (ret)
		goto err_netlink;
	pr_info("loaded\n");
	return 0;

err_netlink:
	ds_netlink_exit();
err_debugfs:
	/* ds_probes_init() detached everything it attached before failing. */
	ds_vm_kill_all();
	flush_workqueue(ds_wq);
	ds_vm_reap_flush();
	ds_task_reap_stop();
	ds_task_forget(0);
	ds_debugfs_exit();
err_wq:
	destroy_workqueue(ds_wq);
	ds_pool_exit();
	rcu_barrier();
err_srcu:
	cleanup_srcu_struct(&ds_vm_srcu);
	return ret;
}

static void __exit ds_exit(void)
{
	ds_probes_exit();		/* no probe runs after this */
	ds_netlink_exit();		/* no netlink handler runs after this */
	ds_vm_kill_all();
	destroy_workqueue(ds_wq);	/* runs the destroy works */
	ds_vm_reap_flush();		/* frees their VMs, in one batch or few */
	ds_pool_exit();			/* no probe or work takes from it now */
	ds_task_reap_stop();
	ds_task_forget(0);
	ds_debugfs_exit();
	rcu_barrier();			/* pending kfree_rcu() of ds_task, SPP pages */
	cleanup_srcu_struct(&ds_vm_srcu);
	/* The churn test requires these equal: nothing of ours outlives us. */
	pr_info("exit: allocations=%lld frees=%lld\n",
		atomic64_read(&ds_allocs), atomic64_read(&ds_frees));
	pr_info("unloaded\n");
}

module_init(ds_init);
module_exit(ds_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("dirtyscope developers");
MODULE_DESCRIPTION("KVM dirty-page tracking statistics (debugfs, generic netlink)");
