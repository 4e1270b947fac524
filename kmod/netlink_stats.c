// SPDX-License-Identifier: GPL-2.0
/*
 * The statistics commands of the "dirtyscope" family: LIST_VMS, GET_STATS
 * (a reply, or a dump for any number of vCPUs), RESET_STATS and
 * GET_MODULE, and the attributes their replies carry. The family, its
 * policy and the events are in netlink.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/genetlink.h>
#include <uapi/linux/dirtyscope.h>

#include "access.h"
#include "dirtyscope.h"

static const u16 ds_stat_attr[DS_C_NR] = {
	[DS_C_RING_PUSHES]		= DIRTYSCOPE_STAT_RING_PUSHES,
	[DS_C_RING_RESETS]		= DIRTYSCOPE_STAT_RING_RESETS,
	[DS_C_RING_RESET_ENTRIES]	= DIRTYSCOPE_STAT_RING_RESET_ENTRIES,
	[DS_C_RING_FULL_EXITS]		= DIRTYSCOPE_STAT_RING_FULL_EXITS,
	[DS_C_PAGE_FAULTS]		= DIRTYSCOPE_STAT_PAGE_FAULTS,
	[DS_C_SET_SPTE]			= DIRTYSCOPE_STAT_SET_SPTE,
	[DS_C_SET_SPTE_WRITABLE]	= DIRTYSCOPE_STAT_SET_SPTE_WRITABLE,
	[DS_C_RING_SIZE]		= DIRTYSCOPE_STAT_RING_SIZE,
	[DS_C_RING_HIGH_WATER]		= DIRTYSCOPE_STAT_RING_HIGH_WATER,
};

static int ds_put_counters(struct sk_buff *skb, const struct ds_counters *c)
{
	u64 v[DS_C_NR];
	int i, ret;

	ds_counters_snapshot(c, v);
	for (i = 0; i < DS_C_NR; i++) {
		if (i == DS_C_RING_SIZE || i == DS_C_RING_HIGH_WATER)
			ret = nla_put_u32(skb, ds_stat_attr[i], v[i]);
		else
			ret = nla_put_u64_64bit(skb, ds_stat_attr[i], v[i],
						DIRTYSCOPE_STAT_PAD);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A DROPS nest. A VM is charged only some reasons (the others are about
 * VMs and threads the module could not track: module-wide only).
 */
static int ds_put_drops(struct sk_buff *skb, const struct ds_drops *d,
			bool module)
{
	static const u16 attr[DS_D_NR] = {
		[DS_D_EVENTS]		= DIRTYSCOPE_DROP_EVENTS,
		[DS_D_PENDING_EVENTS]	= DIRTYSCOPE_DROP_PENDING_EVENTS,
		[DS_D_VM_ALLOC]		= DIRTYSCOPE_DROP_VM_ALLOC,
		[DS_D_VM_TABLE_FULL]	= DIRTYSCOPE_DROP_VM_TABLE_FULL,
		[DS_D_VCPU_ALLOC]	= DIRTYSCOPE_DROP_VCPU_ALLOC,
		[DS_D_TASK]		= DIRTYSCOPE_DROP_TASK,
		[DS_D_NOTIFY]		= DIRTYSCOPE_DROP_NOTIFY,
		[DS_D_NOTIFY_LIMIT]	= DIRTYSCOPE_DROP_NOTIFY_LIMIT,
	};
	struct nlattr *nest;
	u64 v[DS_D_NR];
	int i;

	ds_drops_snapshot(d, v);
	nest = nla_nest_start(skb, DIRTYSCOPE_ATTR_DROPS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < DS_D_NR; i++) {
		if (!module && (i == DS_D_VM_ALLOC || i == DS_D_VM_TABLE_FULL ||
				i == DS_D_TASK))
			continue;
		if (nla_put_u64_64bit(skb, attr[i], v[i], DIRTYSCOPE_DROP_PAD))
			return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int ds_put_vm_id(struct sk_buff *skb, struct ds_vm *vm)
{
	if (nla_put_u64_64bit(skb, DIRTYSCOPE_ATTR_VM_ID, vm->id,
			      DIRTYSCOPE_ATTR_PAD) ||
	    nla_put_u32(skb, DIRTYSCOPE_ATTR_VM_PID, vm->pid) ||
	    nla_put_s32(skb, DIRTYSCOPE_ATTR_VM_FD, vm->fd) ||
	    nla_put_string(skb, DIRTYSCOPE_ATTR_VM_NAME, vm->name))
		return -EMSGSIZE;
	return 0;
}

/*
 * VCPU nests of vm from index *next on; on -EMSGSIZE *next is the first
 * that did not fit. Under rcu_read_lock().
 */
static int ds_put_vcpus(struct sk_buff *skb, struct ds_vm *vm,
			unsigned long *next)
{
	struct ds_vcpu *vc;
	struct nlattr *nest;
	unsigned long i;

	ds_for_each_vcpu(vm, i, vc) {
		if (i < *next)
			continue;
		nest = nla_nest_start(skb, DIRTYSCOPE_ATTR_VCPU);
		if (!nest ||
		    nla_put_u32(skb, DIRTYSCOPE_STAT_VCPU_INDEX, vc->index) ||
		    nla_put_u32(skb, DIRTYSCOPE_STAT_VCPU_ID, vc->id) ||
		    ds_put_counters(skb, &vc->c)) {
			if (nest)
				nla_nest_cancel(skb, nest);
			*next = i;
			return -EMSGSIZE;
		}
		nla_nest_end(skb, nest);
	}
	*next = i;
	return 0;
}

/* Under rcu_read_lock(). */
static int ds_put_vm(struct sk_buff *skb, struct ds_vm *vm, bool per_vcpu)
{
	unsigned long next = 0;
	struct ds_counters sum;
	struct nlattr *nest;

	/*
	 * The generation before the counters: RESET_STATS zeroes, then
	 * increments, so counters read after an old generation may still be
	 * zeroed under us (the reader then sees them go backwards, as before
	 * generations existed), but never un-zeroed under a new one.
	 */
	if (nla_put_u64_64bit(skb, DIRTYSCOPE_ATTR_RESET_GEN,
			      atomic64_read(&vm->reset_gen), DIRTYSCOPE_ATTR_PAD) ||
	    ds_put_vm_id(skb, vm) ||
	    nla_put_u32(skb, DIRTYSCOPE_ATTR_NR_VCPUS,
			atomic_read(&vm->nr_vcpus)) ||
	    ds_put_drops(skb, &vm->drops, false))
		return -EMSGSIZE;

	ds_vm_totals(vm, &sum);
	nest = nla_nest_start(skb, DIRTYSCOPE_ATTR_STATS);
	if (!nest || ds_put_counters(skb, &sum) ||
	    nla_put_u64_64bit(skb, DIRTYSCOPE_STAT_SPP_ALLOWED,
			      atomic64_read(&vm->spp.allowed), DIRTYSCOPE_STAT_PAD) ||
	    nla_put_u64_64bit(skb, DIRTYSCOPE_STAT_SPP_DENIED,
			      atomic64_read(&vm->spp.denied), DIRTYSCOPE_STAT_PAD) ||
	    nla_put_u64_64bit(skb, DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED,
			      atomic64_read(&vm->spp.events_dropped),
			      DIRTYSCOPE_STAT_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);

	return per_vcpu ? ds_put_vcpus(skb, vm, &next) : 0;
}

int ds_nl_list_vms(struct sk_buff *skb, struct netlink_callback *cb)
{
	u64 last = cb->args[0];		/* resume after this VM id */
	struct ds_vm *vm;
	void *hdr;

	if (!last)
		ds_notify_flush();
	rcu_read_lock();
	list_for_each_entry_rcu(vm, &ds_vm_list, lnode) {
		if (vm->id <= last || !ds_may_see(cb->skb, vm))
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &ds_family, NLM_F_MULTI,
				  DIRTYSCOPE_CMD_LIST_VMS);
		if (!hdr)
			break;
		if (ds_put_vm(skb, vm, false)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		last = vm->id;
	}
	rcu_read_unlock();
	cb->args[0] = last;
	return skb->len;
}

/*
 * Largest GET_STATS (do) reply tried; root may lower it at run time so a
 * test needs few vCPUs to see the dump take over.
 */
static unsigned int stats_reply_max = NLMSG_GOODSIZE << 6;
module_param(stats_reply_max, uint, 0600);
MODULE_PARM_DESC(stats_reply_max,
		 "largest GET_STATS reply in bytes; a VM that needs more must be dumped");

int ds_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	size_t size = min_t(size_t, NLMSG_GOODSIZE, READ_ONCE(stats_reply_max));
	struct sk_buff *msg;
	struct ds_vm *vm;
	int tries, ret;
	void *hdr;

	/* The reply must not count events whose notification is queued. */
	ds_notify_flush();
	/* Many vCPUs may not fit the first guess; grow and retry. */
	for (tries = 0; size <= READ_ONCE(stats_reply_max); tries++, size *= 4) {
		msg = genlmsg_new(size, GFP_KERNEL);
		if (!msg)
			return -ENOMEM;
		hdr = genlmsg_put_reply(msg, info, &ds_family, 0,
					DIRTYSCOPE_CMD_GET_STATS);
		if (!hdr) {
			nlmsg_free(msg);
			return -EMSGSIZE;
		}
		rcu_read_lock();
		vm = ds_select_attrs(skb, info->attrs, info->extack, &ret);
		if (!vm && !ret) {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "GET_STATS needs VM_ID or VM_PID+VM_FD");
			ret = -EINVAL;
		}
		if (vm)
			ret = ds_put_vm(msg, vm, true);
		rcu_read_unlock();
		/* Module-wide: other users' activity (access.h). */
		if (!ret && ds_may_see_all(skb))
			ret = nla_put_u64_64bit(msg, DIRTYSCOPE_ATTR_UNATTRIBUTED,
						atomic64_read(&ds_unattributed),
						DIRTYSCOPE_ATTR_PAD);
		if (!ret) {
			genlmsg_end(msg, hdr);
			return genlmsg_reply(msg, info);
		}
		nlmsg_free(msg);
		if (ret != -EMSGSIZE)
			return ret;
	}
	NL_SET_ERR_MSG_MOD(info->extack,
			   "too many vCPUs for one reply: ask GET_STATS as a dump");
	return -EMSGSIZE;
}

/*
 * GET_STATS as a dump, for any number of vCPUs: every message carries the
 * VM attributes and totals, then as many VCPU nests as fit, in index
 * order; the first also UNATTRIBUTED for privileged callers. cb->args:
 * [0] VM id (0 before the first call), [1] next vCPU index, [2] done.
 */
int ds_nl_get_stats_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr *a[DIRTYSCOPE_ATTR_MAX + 1] = {};
	unsigned long next = cb->args[1];
	struct ds_vm *vm;
	int ret = 0;
	void *hdr;

	if (cb->args[2])
		return 0;
	if (!cb->args[0]) {
		ds_notify_flush();
		ret = ds_dump_attrs(cb, a);
		if (ret)
			return ret;
	}
	rcu_read_lock();
	if (!cb->args[0]) {
		vm = ds_select_attrs(cb->skb, a, cb->extack, &ret);
		if (!vm && !ret) {
			NL_SET_ERR_MSG_MOD(cb->extack,
					   "GET_STATS needs VM_ID or VM_PID+VM_FD");
			ret = -EINVAL;
		}
		if (ret)
			goto out;
		cb->args[0] = vm->id;
	} else {
		vm = ds_dump_vm_again(cb);
		if (!vm)
			goto out;
	}
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &ds_family, NLM_F_MULTI, DIRTYSCOPE_CMD_GET_STATS);
	if (!hdr || ds_put_vm(skb, vm, false) ||
	    (!cb->args[1] && ds_may_see_all(cb->skb) &&
	     nla_put_u64_64bit(skb, DIRTYSCOPE_ATTR_UNATTRIBUTED,
			       atomic64_read(&ds_unattributed),
			       DIRTYSCOPE_ATTR_PAD))) {
		ret = -EMSGSIZE;
		goto out;
	}
	if (ds_put_vcpus(skb, vm, &next) && next == cb->args[1]) {
		/* Not even one vCPU fits an empty message: cannot happen. */
		genlmsg_cancel(skb, hdr);
		ret = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(skb, hdr);
	cb->args[1] = next;
	if (next >= (unsigned long)atomic_read(&vm->vcpu_end))
		cb->args[2] = 1;
out:
	rcu_read_unlock();
	return ret ?: skb->len;
}

/*
 * Who may reset is who may read (access.h): a selected VM the caller may
 * see, else -ENOENT; every VM and the module-wide counts only with
 * CAP_NET_ADMIN.
 */
int ds_nl_reset_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct ds_vm *vm;
	int ret;

	rcu_read_lock();
	vm = ds_select_attrs(skb, info->attrs, info->extack, &ret);
	if (vm) {
		ds_vm_reset(vm);
	} else if (!ret && !netlink_capable(skb, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "RESET_STATS of every VM needs CAP_NET_ADMIN");
		ret = -EPERM;
	} else if (!ret) {
		list_for_each_entry_rcu(vm, &ds_vm_list, lnode)
			ds_vm_reset(vm);
		ds_module_reset();
	}
	rcu_read_unlock();
	return ret;
}

/* Module-wide: CAP_SYS_ADMIN or CAP_PERFMON (access.h). */
int ds_nl_get_module(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	if (!ds_may_see_all(skb)) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "GET_MODULE needs CAP_SYS_ADMIN or CAP_PERFMON");
		return -EPERM;
	}
	ds_notify_flush();
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ds_family, 0,
				DIRTYSCOPE_CMD_GET_MODULE);
	if (!hdr ||
	    nla_put_u64_64bit(msg, DIRTYSCOPE_ATTR_RESET_GEN,
			      atomic64_read(&ds_module_reset_gen),
			      DIRTYSCOPE_ATTR_PAD) ||
	    ds_put_drops(msg, &ds_module_drops, true) ||
	    nla_put_u64_64bit(msg, DIRTYSCOPE_ATTR_UNATTRIBUTED,
			      atomic64_read(&ds_unattributed),
			      DIRTYSCOPE_ATTR_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}
