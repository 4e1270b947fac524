/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who may read what over generic netlink; one rule for every command
 * (documented in include/uapi/linux/dirtyscope.h and kmod/README.md):
 *
 *  - A VM is visible to callers that could ptrace its process: the same
 *    effective uid as the VM's owner (ds_vm::owner), or CAP_SYS_PTRACE.
 *    CAP_SYS_ADMIN and CAP_PERFMON (the capability for observing others'
 *    performance data) see every VM too.
 *  - Module-wide information (UNATTRIBUTED, the events group) needs
 *    CAP_SYS_ADMIN or CAP_PERFMON; the events group is flagged
 *    GENL_MCAST_CAP_SYS_ADMIN in netlink.c, since genetlink checks groups
 *    only when a socket joins and cannot filter per receiver.
 *  - A VM the caller may not see answers exactly like one that does not
 *    exist (-ENOENT, left out of dumps), so its existence does not leak.
 *
 * Capabilities go through netlink_capable(): the socket's opener must hold
 * them as well as the caller, so a privileged process handed an
 * unprivileged user's socket does not lend its rights to it.
 *
 * Header-only so the rule sits in one place without another object file.
 */
#ifndef DIRTYSCOPE_ACCESS_H
#define DIRTYSCOPE_ACCESS_H

#include <linux/capability.h>
#include <linux/cred.h>
#include <net/netlink.h>

#include "dirtyscope.h"

/* skb: the request. */
static inline bool ds_may_see_all(const struct sk_buff *skb)
{
	return netlink_capable(skb, CAP_SYS_ADMIN) ||
	       netlink_capable(skb, CAP_PERFMON);
}

static inline bool ds_may_see(const struct sk_buff *skb, const struct ds_vm *vm)
{
	return uid_eq(current_euid(), vm->owner) ||
	       netlink_capable(skb, CAP_SYS_PTRACE) || ds_may_see_all(skb);
}

#endif
