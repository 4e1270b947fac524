// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "dirtyscope"; the contract is documented in
 * include/uapi/linux/dirtyscope.h. Every request is validated strictly
 * against ds_policy: unknown attributes, attributes only meant for replies,
 * wrong lengths and trailing garbage are rejected with an extack message.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/genetlink.h>
#include <uapi/linux/dirtyscope.h>

#include "access.h"
#include "dirtyscope.h"
#include "rate.h"

/* Root may change it at run time: a test lowers it to see the limit work. */
static unsigned int ring_events_per_sec = DIRTYSCOPE_RING_EVENTS_PER_SEC;
module_param(ring_events_per_sec, uint, 0600);
MODULE_PARM_DESC(ring_events_per_sec,
		 "most ring notifications per VM per second; beyond, counted as drop notify_limit");

/* Beyond NLA_POLICY_RANGE's s16 bounds. */
static struct netlink_range_validation ds_spp_npages_range = {
	.min = 1,
	.max = DIRTYSCOPE_SPP_MAX_PAGES,
};

static const struct nla_policy ds_policy[DIRTYSCOPE_ATTR_MAX + 1] = {
	[DIRTYSCOPE_ATTR_PAD]		= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_VM_ID]		= NLA_POLICY_MIN(NLA_U64, 1),
	[DIRTYSCOPE_ATTR_VM_PID]	= NLA_POLICY_MIN(NLA_U32, 1),
	[DIRTYSCOPE_ATTR_VM_FD]		= NLA_POLICY_MIN(NLA_S32, 0),
	/* Reply-only attributes. */
	[DIRTYSCOPE_ATTR_VM_NAME]	= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_NR_VCPUS]	= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_STATS]		= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_VCPU]		= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_EVENT]		= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_VCPU_INDEX]	= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_RESET_ENTRIES]	= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_UNATTRIBUTED]	= { .type = NLA_REJECT },
	/* SPP requests (netlink_spp.c checks which command needs which). */
	[DIRTYSCOPE_ATTR_SPP_GFN]	= { .type = NLA_U64 },
	[DIRTYSCOPE_ATTR_SPP_NPAGES]	= NLA_POLICY_FULL_RANGE(NLA_U32,
							&ds_spp_npages_range),
	[DIRTYSCOPE_ATTR_SPP_VECTOR]	= { .type = NLA_U32 },
	[DIRTYSCOPE_ATTR_SPP_ALLOWED]	= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_SPP_DENIED]	= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_SPP_GPA]	= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_SPP_LEN]	= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_SPP_VALUE]	= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_RESET_GEN]	= { .type = NLA_REJECT },
	[DIRTYSCOPE_ATTR_DROPS]		= { .type = NLA_REJECT },
};

/*
 * The VM a request names: VM_ID, or VM_PID plus VM_FD. Returns NULL with
 * *err = 0 when there is no selector, or with *err < 0 on error. With skb
 * (the request), a VM its sender may not see is "no such VM" (access.h);
 * without, any VM.
 * Under rcu_read_lock().
 */
struct ds_vm *ds_select_attrs(const struct sk_buff *skb, struct nlattr **a,
			      struct netlink_ext_ack *extack, int *err)
{
	struct ds_vm *vm;

	*err = 0;
	if (a[DIRTYSCOPE_ATTR_VM_ID]) {
		if (a[DIRTYSCOPE_ATTR_VM_PID] || a[DIRTYSCOPE_ATTR_VM_FD]) {
			NL_SET_ERR_MSG_MOD(extack,
					   "give VM_ID or VM_PID+VM_FD, not both");
			*err = -EINVAL;
			return NULL;
		}
		vm = ds_vm_find_id(nla_get_u64(a[DIRTYSCOPE_ATTR_VM_ID]));
	} else if (a[DIRTYSCOPE_ATTR_VM_PID] && a[DIRTYSCOPE_ATTR_VM_FD]) {
		vm = ds_vm_find_name(nla_get_u32(a[DIRTYSCOPE_ATTR_VM_PID]),
				     nla_get_s32(a[DIRTYSCOPE_ATTR_VM_FD]));
	} else if (a[DIRTYSCOPE_ATTR_VM_PID] || a[DIRTYSCOPE_ATTR_VM_FD]) {
		NL_SET_ERR_MSG_MOD(extack, "VM_PID and VM_FD go together");
		*err = -EINVAL;
		return NULL;
	} else {
		return NULL;
	}
	if (vm && skb && !ds_may_see(skb, vm))
		vm = NULL;
	if (!vm) {
		NL_SET_ERR_MSG_MOD(extack, "no such VM");
		*err = -ENOENT;
	}
	return vm;
}

/*
 * A dump's request attributes, for its first call. genetlink has validated
 * them against ds_policy already, but where it keeps them differs between
 * kernels (genl_dumpit_info()->attrs in 6.1, inside an embedded genl_info
 * later), so they are parsed again.
 */
int ds_dump_attrs(struct netlink_callback *cb, struct nlattr **a)
{
	return nlmsg_parse_deprecated(cb->nlh, GENL_HDRLEN, a,
				      DIRTYSCOPE_ATTR_MAX, NULL, cb->extack);
}

struct ds_vm *ds_dump_vm_again(struct netlink_callback *cb)
{
	/* Gone since the last call: the dump simply ends. */
	struct ds_vm *vm = ds_vm_find_id(cb->args[0]);

	if (!vm)
		cb->args[2] = 1;
	return vm;
}

/*
 * Probe context (atomic, under rcu_read_lock()): a notification to the
 * "events" group, queued only when someone listens (notify.c sends it).
 */
bool ds_netlink_has_listeners(void)
{
	return genl_has_listeners(&ds_family, &init_net, 0);
}

void ds_netlink_event(struct ds_vm *vm, struct ds_vcpu *vc, u32 event,
		      u64 entries)
{
	struct ds_note n;

	if (!genl_has_listeners(&ds_family, &init_net, 0))
		return;
	if (!ds_rate_take(&vm->ring_events, READ_ONCE(ring_events_per_sec))) {
		ds_drop(vm, DS_D_NOTIFY_LIMIT);
		return;
	}
	ds_note_init(&n, vm, vc, event);
	n.entries = entries;
	/* Built and sent by notify.c's work; a full ring loses it now. */
	if (!ds_notify_queue(&n))
		ds_drop(vm, DS_D_NOTIFY);
}

static const struct genl_small_ops ds_ops[] = {
	{
		.cmd	= DIRTYSCOPE_CMD_LIST_VMS,
		.dumpit	= ds_nl_list_vms,
	},
	{
		.cmd	= DIRTYSCOPE_CMD_GET_STATS,
		.doit	= ds_nl_get_stats,
		.dumpit	= ds_nl_get_stats_dump,
	},
	/* RESET_STATS: the reader's rule, checked by the handler. */
	{
		.cmd	= DIRTYSCOPE_CMD_RESET_STATS,
		.doit	= ds_nl_reset_stats,
	},
	/* SPP_SET: admin or the VM's owner, checked by the handler. */
	{
		.cmd	= DIRTYSCOPE_CMD_SPP_SET,
		.doit	= ds_nl_spp_set,
	},
	{
		.cmd	= DIRTYSCOPE_CMD_SPP_GET,
		.doit	= ds_nl_spp_get,
		.dumpit	= ds_nl_spp_dump,
	},
	/* Module-wide: the handler checks CAP_SYS_ADMIN/CAP_PERFMON. */
	{
		.cmd	= DIRTYSCOPE_CMD_GET_MODULE,
		.doit	= ds_nl_get_module,
	},
};

/*
 * Events name every user's VMs and genetlink cannot filter a multicast per
 * receiver, so joining is for CAP_SYS_ADMIN only (checked at join time).
 */
static const struct genl_multicast_group ds_mcgrps[] = {
	{
		.name	= DIRTYSCOPE_GENL_MCGRP_EVENTS,
		.flags	= GENL_MCAST_CAP_SYS_ADMIN,
	},
};

struct genl_family ds_family __ro_after_init = {
	.name		= DIRTYSCOPE_GENL_NAME,
	.version	= DIRTYSCOPE_GENL_VERSION,
	.maxattr	= DIRTYSCOPE_ATTR_MAX,
	.policy		= ds_policy,
	.module		= THIS_MODULE,
	/*
	 * Handlers read RCU-protected state and atomics; SPP_SET writes a
	 * VM's SPP table under that table's own mutex.
	 */
	.parallel_ops	= true,
	.small_ops	= ds_ops,
	.n_small_ops	= ARRAY_SIZE(ds_ops),
	/*
	 * resv_start_op left 0: every command gets strict attribute
	 * validation and must have genlmsghdr.reserved == 0 (only legacy
	 * families set it to exempt their old commands).
	 */
	.mcgrps		= ds_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(ds_mcgrps),
};

int ds_netlink_init(void)
{
	return genl_register_family(&ds_family);
}

void ds_netlink_exit(void)
{
	/* The probes are detached: nothing queues a note any more. */
	ds_notify_flush();
	genl_unregister_family(&ds_family);
}
