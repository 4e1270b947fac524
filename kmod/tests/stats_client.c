// SPDX-License-Identifier: GPL-2.0
/* dirtyscope's statistics commands for the tests (see stats_client.h). */
#include <stdio.h>
#include <string.h>

#include "stats_client.h"

static void parse_stats(struct nlattr *nest, uint64_t *out)
{
	struct nlattr *a;

	for_each_attr(a, ATTR_DATA(nest), ATTR_LEN(nest))
		if (a->nla_type <= DIRTYSCOPE_STAT_MAX)
			out[a->nla_type] = attr_uint(a);
}

static void parse_drops(struct nlattr *nest, uint64_t *out)
{
	struct nlattr *a;

	for_each_attr(a, ATTR_DATA(nest), ATTR_LEN(nest))
		if (a->nla_type <= DIRTYSCOPE_DROP_MAX)
			out[a->nla_type] = attr_uint(a);
}

static void parse_vm(struct nlmsghdr *nlh, struct vm_info *vm)
{
	struct nlattr *a;

	memset(vm, 0, sizeof(*vm));
	for_each_attr(a, GENL_ATTRS(nlh), GENL_ATTRS_LEN(nlh)) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case DIRTYSCOPE_ATTR_VM_ID: vm->id = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_VM_PID: vm->pid = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_VM_FD: vm->fd = (int32_t)attr_uint(a); break;
		case DIRTYSCOPE_ATTR_VM_NAME:
			snprintf(vm->name, sizeof(vm->name), "%.*s",
				 (int)ATTR_LEN(a), (char *)ATTR_DATA(a));
			break;
		case DIRTYSCOPE_ATTR_NR_VCPUS: vm->nr_vcpus = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_STATS: parse_stats(a, vm->total); break;
		case DIRTYSCOPE_ATTR_VCPU:
			if (!vm->vcpu_nests++)
				parse_stats(a, vm->vcpu0);
			break;
		case DIRTYSCOPE_ATTR_UNATTRIBUTED:
			vm->unattributed = attr_uint(a);
			vm->have_unattributed = true;
			break;
		case DIRTYSCOPE_ATTR_RESET_GEN:
			vm->reset_gen = attr_uint(a);
			vm->have_reset_gen = true;
			break;
		case DIRTYSCOPE_ATTR_DROPS:
			parse_drops(a, vm->drops);
			vm->have_drops = true;
			break;
		}
	}
}

static void module_cb(struct nlmsghdr *nlh, void *ctx)
{
	struct module_info *mi = ctx;
	struct nlattr *a;

	for_each_attr(a, GENL_ATTRS(nlh), GENL_ATTRS_LEN(nlh)) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case DIRTYSCOPE_ATTR_RESET_GEN:
			mi->reset_gen = attr_uint(a);
			mi->have_reset_gen = true;
			break;
		case DIRTYSCOPE_ATTR_DROPS:
			parse_drops(a, mi->drops);
			mi->have_drops = true;
			break;
		case DIRTYSCOPE_ATTR_UNATTRIBUTED:
			mi->unattributed = attr_uint(a);
			break;
		}
	}
}

int get_module(struct nl *nl, struct module_info *out)
{
	struct msg m;

	msg_init(&m, nl->family, 0, DIRTYSCOPE_CMD_GET_MODULE, 1);
	memset(out, 0, sizeof(*out));
	return nl_transact(nl, &m, module_cb, out);
}

static void list_cb(struct nlmsghdr *nlh, void *ctx)
{
	struct vm_list *l = ctx;

	if (l->n < (int)(sizeof(l->vms) / sizeof(l->vms[0])))
		parse_vm(nlh, &l->vms[l->n++]);
}

static void one_cb(struct nlmsghdr *nlh, void *ctx)
{
	parse_vm(nlh, ctx);
}

int list_vms(struct nl *nl, struct vm_list *l)
{
	struct msg m;

	l->n = 0;
	msg_init(&m, nl->family, NLM_F_DUMP, DIRTYSCOPE_CMD_LIST_VMS, 1);
	return nl_transact(nl, &m, list_cb, l);
}

struct vm_info *find_vm(struct vm_list *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->vms[i].name, name))
			return &l->vms[i];
	return NULL;
}

int get_stats_by_name(struct nl *nl, uint32_t pid, int32_t fd,
		      struct vm_info *out)
{
	struct msg m;

	msg_init(&m, nl->family, 0, DIRTYSCOPE_CMD_GET_STATS, 1);
	msg_put(&m, DIRTYSCOPE_ATTR_VM_PID, &pid, sizeof(pid));
	msg_put(&m, DIRTYSCOPE_ATTR_VM_FD, &fd, sizeof(fd));
	memset(out, 0, sizeof(*out));
	return nl_transact(nl, &m, one_cb, out);
}

int get_stats_by_id(struct nl *nl, uint64_t id, struct vm_info *out)
{
	struct msg m;

	msg_init(&m, nl->family, 0, DIRTYSCOPE_CMD_GET_STATS, 1);
	msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &id, sizeof(id));
	memset(out, 0, sizeof(*out));
	return nl_transact(nl, &m, one_cb, out);
}

static void dump_cb(struct nlmsghdr *nlh, void *ctx)
{
	struct stats_dump *d = ctx;
	struct vm_info part;

	parse_vm(nlh, &part);
	if (!d->messages++)
		d->vm = part;
	else if (part.id != d->vm.id)
		d->mixed = true;
	d->vcpu_nests += part.vcpu_nests;
}

int get_stats_dump(struct nl *nl, uint64_t id, struct stats_dump *out)
{
	struct msg m;

	msg_init(&m, nl->family, NLM_F_DUMP, DIRTYSCOPE_CMD_GET_STATS, 1);
	msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &id, sizeof(id));
	memset(out, 0, sizeof(*out));
	return nl_transact(nl, &m, dump_cb, out);
}

int reset_stats(struct nl *nl, uint64_t id)
{
	struct msg m;

	msg_init(&m, nl->family, 0, DIRTYSCOPE_CMD_RESET_STATS, 1);
	if (id)
		msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &id, sizeof(id));
	return nl_transact(nl, &m, NULL, NULL);
}

static void ring_event_cb(struct nlmsghdr *nlh, void *ctx)
{
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	uint64_t id = 0, entries = 0;
	struct ring_events *ev = ctx;
	struct nlattr *a;
	uint32_t type = 0;

	if (g->cmd != DIRTYSCOPE_CMD_EVENT)
		return;
	for_each_attr(a, GENL_ATTRS(nlh), GENL_ATTRS_LEN(nlh)) {
		if (a->nla_type == DIRTYSCOPE_ATTR_EVENT)
			type = attr_uint(a);
		else if (a->nla_type == DIRTYSCOPE_ATTR_VM_ID)
			id = attr_uint(a);
		else if (a->nla_type == DIRTYSCOPE_ATTR_RESET_ENTRIES)
			entries = attr_uint(a);
	}
	if (ev->vm_id && id != ev->vm_id)
		return;
	if (type == DIRTYSCOPE_EVENT_RING_FULL)
		ev->full++;
	else if (type == DIRTYSCOPE_EVENT_RING_RESET) {
		ev->reset++;
		ev->reset_entries += entries;
	}
}

void drain_ring_events(int fd, struct ring_events *ev)
{
	nl_drain(fd, ring_event_cb, ev);
}
