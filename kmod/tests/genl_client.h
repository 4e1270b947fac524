/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A raw generic-netlink client (no libnl, so the tests link statically):
 * build a request, send it, walk the replies, resolve a family and its
 * multicast group. Knows nothing of dirtyscope's commands.
 */
#ifndef DIRTYSCOPE_TESTS_GENL_CLIENT_H
#define DIRTYSCOPE_TESTS_GENL_CLIENT_H

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>

struct msg {
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	char attrs[1024];
};

struct nl {
	int fd;
	uint32_t seq;
	uint16_t family;
	uint32_t version;
	uint32_t events_group;
};

void msg_init(struct msg *m, uint16_t type, uint16_t flags, uint8_t cmd,
	      uint8_t version);
void msg_put(struct msg *m, uint16_t type, const void *data, uint16_t len);

int nl_open(struct nl *nl);

typedef void (*nl_cb)(struct nlmsghdr *nlh, void *ctx);

/* Sends m; feeds each reply to cb. Returns 0 or the kernel's negative errno. */
int nl_transact(struct nl *nl, struct msg *m, nl_cb cb, void *ctx);

/* Resolves the dirtyscope family: id, version and the events group. */
int nl_resolve(struct nl *nl);
/* Opens a socket that has joined the events group of nl's family. */
int nl_open_events(struct nl *ev, const struct nl *nl);
/* Feeds every message waiting on fd to cb without blocking. */
void nl_drain(int fd, nl_cb cb, void *ctx);

#define for_each_attr(a, start, len)					\
	for (a = (struct nlattr *)(start);				\
	     (char *)a + NLA_HDRLEN <= (char *)(start) + (len) &&	\
	     a->nla_len >= NLA_HDRLEN &&				\
	     (char *)a + a->nla_len <= (char *)(start) + (len);		\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

#define ATTR_DATA(a) ((void *)((char *)(a) + NLA_HDRLEN))
#define ATTR_LEN(a) ((a)->nla_len - NLA_HDRLEN)
/* The attributes after a genl message's header, and their length. */
#define GENL_ATTRS(nlh) ((char *)NLMSG_DATA(nlh) + GENL_HDRLEN)
#define GENL_ATTRS_LEN(nlh) ((int)((nlh)->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)))

/* An unsigned attribute of 2, 4 or 8 bytes; 0 for any other size. */
uint64_t attr_uint(struct nlattr *a);

#endif
