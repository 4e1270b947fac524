// SPDX-License-Identifier: GPL-2.0
/*
 * The SPP commands of the "dirtyscope" family (SPP_SET, SPP_GET and its
 * dump) and the SPP_DENIED notification; contract in
 * include/uapi/linux/dirtyscope.h, bookkeeping in spp.c.
 *
 * Permission: reading (SPP_GET) follows the read rule of every command
 * (access.h): a VM the caller may not see is -ENOENT. SPP_SET changes
 * what the module reports about the owner's VM, so of the callers who see
 * the VM only CAP_SYS_ADMIN (of the socket's opener and the caller, as
 * netlink_capable() checks) or the owner itself may; others get -EPERM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <net/genetlink.h>
#include <uapi/linux/dirtyscope.h>

#include "access.h"
#include "dirtyscope.h"

static int ds_spp_may_set(const struct sk_buff *skb, const struct ds_vm *vm,
			  struct netlink_ext_ack *extack)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN) ||
	    uid_eq(current_euid(), vm->owner))
		return 0;
	NL_SET_ERR_MSG_MOD(extack,
			   "SPP_SET needs CAP_SYS_ADMIN or the VM owner's effective uid");
	return -EPERM;
}

/*
 * The selected VM, visible to the sender of skb, or an error; a selector is
 * required. Under RCU/SRCU.
 */
static struct ds_vm *ds_spp_select(const struct sk_buff *skb, struct nlattr **a,
				   struct netlink_ext_ack *extack, int *err)
{
	struct ds_vm *vm = ds_select_attrs(skb, a, extack, err);

	if (!vm && !*err) {
		NL_SET_ERR_MSG_MOD(extack, "SPP needs VM_ID or VM_PID+VM_FD");
		*err = -EINVAL;
	}
	return vm;
}

int ds_nl_spp_set(struct sk_buff *skb, struct genl_info *info)
{
	struct ds_vm *vm;
	int idx, ret;

	if (GENL_REQ_ATTR_CHECK(info, DIRTYSCOPE_ATTR_SPP_GFN) ||
	    GENL_REQ_ATTR_CHECK(info, DIRTYSCOPE_ATTR_SPP_NPAGES) ||
	    GENL_REQ_ATTR_CHECK(info, DIRTYSCOPE_ATTR_SPP_VECTOR))
		return -EINVAL;

	/*
	 * ds_spp_set() sleeps (allocations, the table's mutex): SRCU keeps
	 * vm alive after the RCU section of the lookup ends.
	 */
	idx = srcu_read_lock(&ds_vm_srcu);
	rcu_read_lock();
	vm = ds_spp_select(skb, info->attrs, info->extack, &ret);
	rcu_read_unlock();
	if (vm)
		ret = ds_spp_may_set(skb, vm, info->extack);
	if (vm && !ret)
		ret = ds_spp_set(&vm->spp,
				 nla_get_u64(info->attrs[DIRTYSCOPE_ATTR_SPP_GFN]),
				 nla_get_u32(info->attrs[DIRTYSCOPE_ATTR_SPP_NPAGES]),
				 nla_get_u32(info->attrs[DIRTYSCOPE_ATTR_SPP_VECTOR]),
				 info->extack);
	srcu_read_unlock(&ds_vm_srcu, idx);
	return ret;
}

static int ds_put_spp_page(struct sk_buff *skb, u64 gfn, u32 vector,
			   u64 allowed, u64 denied)
{
	if (nla_put_u64_64bit(skb, DIRTYSCOPE_ATTR_SPP_GFN, gfn,
			      DIRTYSCOPE_ATTR_PAD) ||
	    nla_put_u32(skb, DIRTYSCOPE_ATTR_SPP_VECTOR, vector) ||
	    nla_put_u64_64bit(skb, DIRTYSCOPE_ATTR_SPP_ALLOWED, allowed,
			      DIRTYSCOPE_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, DIRTYSCOPE_ATTR_SPP_DENIED, denied,
			      DIRTYSCOPE_ATTR_PAD))
		return -EMSGSIZE;
	return 0;
}

int ds_nl_spp_get(struct sk_buff *skb, struct genl_info *info)
{
	u64 gfn, allowed, denied;
	struct sk_buff *msg;
	struct ds_vm *vm;
	u32 vector;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, DIRTYSCOPE_ATTR_SPP_GFN))
		return -EINVAL;
	if (info->attrs[DIRTYSCOPE_ATTR_SPP_NPAGES] ||
	    info->attrs[DIRTYSCOPE_ATTR_SPP_VECTOR]) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "SPP_GET takes one SPP_GFN, no NPAGES or VECTOR");
		return -EINVAL;
	}
	gfn = nla_get_u64(info->attrs[DIRTYSCOPE_ATTR_SPP_GFN]);
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ds_family, 0, DIRTYSCOPE_CMD_SPP_GET);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	rcu_read_lock();
	vm = ds_spp_select(skb, info->attrs, info->extack, &ret);
	if (vm) {
		ds_spp_get(&vm->spp, gfn, &vector, &allowed, &denied);
		ret = ds_put_vm_id(msg, vm) ?:
		      ds_put_spp_page(msg, gfn, vector, allowed, denied);
	}
	rcu_read_unlock();
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * SPP_GET as a dump: every registered page of one VM. cb->args: [0] VM id
 * (0 before the first call), [1] next gfn, [2] set when done.
 */
int ds_nl_spp_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr *a[DIRTYSCOPE_ATTR_MAX + 1] = {};
	struct netlink_ext_ack *extack = cb->extack;
	struct ds_spp_page *page;
	unsigned long gfn;
	struct ds_vm *vm;
	int ret = 0;
	void *hdr;

	if (cb->args[2])
		return 0;
	if (!cb->args[0]) {
		ret = ds_dump_attrs(cb, a);
		if (ret)
			return ret;
	}
	rcu_read_lock();
	if (!cb->args[0]) {
		if (a[DIRTYSCOPE_ATTR_SPP_GFN] || a[DIRTYSCOPE_ATTR_SPP_NPAGES] ||
		    a[DIRTYSCOPE_ATTR_SPP_VECTOR]) {
			NL_SET_ERR_MSG_MOD(extack, "the SPP_GET dump takes only a VM selector");
			ret = -EINVAL;
			goto out;
		}
		vm = ds_spp_select(cb->skb, a, extack, &ret);
		if (ret)
			goto out;
		cb->args[0] = vm->id;
	} else {
		vm = ds_dump_vm_again(cb);
		if (!vm)
			goto out;
	}
	gfn = cb->args[1];
	xa_for_each_start(&vm->spp.pages, gfn, page, cb->args[1]) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &ds_family, NLM_F_MULTI,
				  DIRTYSCOPE_CMD_SPP_GET);
		if (!hdr)
			goto full;
		if (ds_put_vm_id(skb, vm) ||
		    ds_put_spp_page(skb, gfn, READ_ONCE(page->vector),
				    atomic64_read(&page->allowed),
				    atomic64_read(&page->denied))) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[2] = 1;
	goto out;
full:
	cb->args[1] = gfn;		/* resume at the page that did not fit */
out:
	rcu_read_unlock();
	return ret ?: skb->len;
}

/*
 * Probe context (atomic, under RCU), called only when someone listens:
 * queued for notify.c's work. 0 queued, -ENOBUFS the ring was full.
 */
int ds_netlink_spp_denied(struct ds_vm *vm, struct ds_vcpu *vc, u64 gpa,
			  u32 len, u64 value)
{
	struct ds_note n;

	ds_note_init(&n, vm, vc, DIRTYSCOPE_EVENT_SPP_DENIED);
	n.gpa = gpa;
	n.len = len;
	n.value = value;
	return ds_notify_queue(&n) ? 0 : -ENOBUFS;
}
