// SPDX-License-Identifier: GPL-2.0
/* Raw generic netlink for the module's tests (see genl_client.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/dirtyscope.h>

#include "genl_client.h"

void msg_init(struct msg *m, uint16_t type, uint16_t flags, uint8_t cmd,
	      uint8_t version)
{
	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	m->genl.cmd = cmd;
	m->genl.version = version;
}

void msg_put(struct msg *m, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)m + NLMSG_ALIGN(m->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

int nl_open(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	/* Ask for extended ACKs so a failing test can print the reason. */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return 0;
}

int nl_transact(struct nl *nl, struct msg *m, nl_cb cb, void *ctx)
{
	static char buf[1 << 17];
	bool dump = m->nlh.nlmsg_flags & NLM_F_DUMP;
	struct nlmsghdr *nlh;
	ssize_t n;

	m->nlh.nlmsg_seq = ++nl->seq;
	if (!dump)
		m->nlh.nlmsg_flags |= NLM_F_ACK;
	if (send(nl->fd, m, m->nlh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != nl->seq)
				continue;
			/* A dump refused at its start ends with DONE carrying the error. */
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
					memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
				return err;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				return e->error;
			}
			if (cb)
				cb(nlh, ctx);
		}
	}
}

uint64_t attr_uint(struct nlattr *a)
{
	uint64_t v64 = 0;
	uint32_t v32 = 0;
	uint16_t v16 = 0;

	switch (ATTR_LEN(a)) {
	case 8: memcpy(&v64, ATTR_DATA(a), 8); return v64;
	case 4: memcpy(&v32, ATTR_DATA(a), 4); return v32;
	case 2: memcpy(&v16, ATTR_DATA(a), 2); return v16;
	default: return 0;
	}
}

static void family_cb(struct nlmsghdr *nlh, void *ctx)
{
	struct nlattr *a, *grp, *ga;
	struct nl *nl = ctx;

	for_each_attr(a, GENL_ATTRS(nlh), GENL_ATTRS_LEN(nlh)) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case CTRL_ATTR_FAMILY_ID:
			nl->family = attr_uint(a);
			break;
		case CTRL_ATTR_VERSION:
			nl->version = attr_uint(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			for_each_attr(grp, ATTR_DATA(a), ATTR_LEN(a)) {
				const char *name = NULL;
				uint32_t id = 0;

				for_each_attr(ga, ATTR_DATA(grp), ATTR_LEN(grp)) {
					if (ga->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
						name = ATTR_DATA(ga);
					else if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
						id = attr_uint(ga);
				}
				if (name && !strcmp(name, DIRTYSCOPE_GENL_MCGRP_EVENTS))
					nl->events_group = id;
			}
			break;
		}
	}
}

int nl_resolve(struct nl *nl)
{
	struct msg m;

	msg_init(&m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	msg_put(&m, CTRL_ATTR_FAMILY_NAME, DIRTYSCOPE_GENL_NAME,
		sizeof(DIRTYSCOPE_GENL_NAME));
	return nl_transact(nl, &m, family_cb, nl);
}

int nl_open_events(struct nl *ev, const struct nl *nl)
{
	int r = nl_open(ev);

	if (!r && setsockopt(ev->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			     &nl->events_group, sizeof(nl->events_group)) < 0)
		r = -errno;
	return r;
}

void nl_drain(int fd, nl_cb cb, void *ctx)
{
	static char buf[1 << 16];
	struct nlmsghdr *nlh;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n))
			cb(nlh, ctx);
}
