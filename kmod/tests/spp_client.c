// SPDX-License-Identifier: GPL-2.0
/* dirtyscope's SPP commands for the tests (see spp_client.h). */
#include <string.h>

#include "spp_client.h"

static void put_sel(struct msg *m, struct vm_sel sel)
{
	if (sel.id) {
		msg_put(m, DIRTYSCOPE_ATTR_VM_ID, &sel.id, sizeof(sel.id));
	} else {
		msg_put(m, DIRTYSCOPE_ATTR_VM_PID, &sel.pid, sizeof(sel.pid));
		msg_put(m, DIRTYSCOPE_ATTR_VM_FD, &sel.fd, sizeof(sel.fd));
	}
}

int spp_set(struct nl *nl, struct vm_sel sel, uint64_t gfn, uint32_t npages,
	    uint32_t vector)
{
	struct msg m;

	msg_init(&m, nl->family, 0, DIRTYSCOPE_CMD_SPP_SET, 1);
	put_sel(&m, sel);
	msg_put(&m, DIRTYSCOPE_ATTR_SPP_GFN, &gfn, sizeof(gfn));
	msg_put(&m, DIRTYSCOPE_ATTR_SPP_NPAGES, &npages, sizeof(npages));
	msg_put(&m, DIRTYSCOPE_ATTR_SPP_VECTOR, &vector, sizeof(vector));
	return nl_transact(nl, &m, NULL, NULL);
}

static void parse_page(struct nlmsghdr *nlh, struct spp_page *p)
{
	struct nlattr *a;

	memset(p, 0, sizeof(*p));
	for_each_attr(a, GENL_ATTRS(nlh), GENL_ATTRS_LEN(nlh)) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case DIRTYSCOPE_ATTR_SPP_GFN: p->gfn = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_SPP_VECTOR: p->vector = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_SPP_ALLOWED: p->allowed = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_SPP_DENIED: p->denied = attr_uint(a); break;
		default: continue;
		}
		p->attrs++;
	}
}

static void one_page_cb(struct nlmsghdr *nlh, void *ctx)
{
	parse_page(nlh, ctx);
}

int spp_get(struct nl *nl, struct vm_sel sel, uint64_t gfn, struct spp_page *out)
{
	struct msg m;

	msg_init(&m, nl->family, 0, DIRTYSCOPE_CMD_SPP_GET, 1);
	put_sel(&m, sel);
	msg_put(&m, DIRTYSCOPE_ATTR_SPP_GFN, &gfn, sizeof(gfn));
	memset(out, 0, sizeof(*out));
	return nl_transact(nl, &m, one_page_cb, out);
}

struct page_list {
	struct spp_page *pages;
	int max, n;
};

static void page_list_cb(struct nlmsghdr *nlh, void *ctx)
{
	struct page_list *l = ctx;

	if (l->n < l->max)
		parse_page(nlh, &l->pages[l->n]);
	l->n++;
}

int spp_dump(struct nl *nl, struct vm_sel sel, struct spp_page *pages, int max,
	     int *n)
{
	struct page_list l = { .pages = pages, .max = max };
	struct msg m;
	int r;

	msg_init(&m, nl->family, NLM_F_DUMP, DIRTYSCOPE_CMD_SPP_GET, 1);
	put_sel(&m, sel);
	r = nl_transact(nl, &m, page_list_cb, &l);
	*n = l.n;
	return r;
}

static void spp_event_cb(struct nlmsghdr *nlh, void *ctx)
{
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	struct spp_events *evs = ctx;
	struct spp_event e = { 0 };
	uint32_t type = 0;
	struct nlattr *a;

	if (g->cmd != DIRTYSCOPE_CMD_EVENT)
		return;
	for_each_attr(a, GENL_ATTRS(nlh), GENL_ATTRS_LEN(nlh)) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case DIRTYSCOPE_ATTR_EVENT: type = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_VM_ID: e.vm_id = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_VCPU_INDEX: e.vcpu = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_SPP_GPA: e.gpa = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_SPP_LEN: e.len = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_SPP_VALUE: e.value = attr_uint(a); break;
		}
	}
	if (type != DIRTYSCOPE_EVENT_SPP_DENIED || e.vm_id != evs->vm_id)
		return;
	if (evs->n < (int)(sizeof(evs->ev) / sizeof(evs->ev[0])))
		evs->ev[evs->n++] = e;
	else
		evs->lost++;
}

void drain_spp_events(int fd, struct spp_events *evs)
{
	nl_drain(fd, spp_event_cb, evs);
}
