// SPDX-License-Identifier: GPL-2.0
/*
 * genl_fuzz's random source (splitmix64, so a seed replays a run) and the
 * pieces of a message: raw bytes, attributes with honest or lying
 * headers, VM selectors right or subtly wrong, nests of garbage.
 */
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <string.h>

#include "genl_fuzz.h"

/* splitmix64: tiny, and the whole sequence follows from the seed. */
uint64_t rng_state;

uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

bool one_in(uint32_t n)
{
	return below(n) == 0;
}

void *put_raw(struct builder *b, const void *data, size_t len)
{
	void *at = b->buf + b->len;

	if (b->len + len > sizeof(b->buf))
		len = sizeof(b->buf) - b->len;
	if (data)
		memcpy(at, data, len);
	else
		for (size_t i = 0; i < len; i++)
			((unsigned char *)at)[i] = rnd();
	b->len += len;
	return at;
}

void pad4(struct builder *b)
{
	while (b->len % 4 && b->len < sizeof(b->buf))
		b->buf[b->len++] = one_in(8) ? (char)rnd() : 0;
}

/* One attribute: the header is honest unless the shape says otherwise. */
struct nlattr *put_attr(struct builder *b, uint16_t type, const void *data,
			size_t len)
{
	struct nlattr *a;

	if (b->len + NLA_HDRLEN + len > sizeof(b->buf))
		return NULL;
	a = put_raw(b, NULL, NLA_HDRLEN);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	put_raw(b, data, len);
	pad4(b);
	return a;
}

void put_u(struct builder *b, uint16_t type, uint64_t v, size_t size)
{
	put_attr(b, type, &v, size);	/* little-endian: the low bytes */
}

uint16_t random_attr_type(void)
{
	uint16_t t;

	switch (below(6)) {
	case 0: t = rnd(); break;
	case 1: t = DIRTYSCOPE_ATTR_MAX + 1 + below(8); break;
	default: t = below(DIRTYSCOPE_ATTR_MAX + 1); break;
	}
	/* The two flag bits of nla_type, now and then. */
	if (one_in(8))
		t |= NLA_F_NESTED;
	if (one_in(16))
		t |= NLA_F_NET_BYTEORDER;
	return t;
}

/* A payload size: the ones the policy knows, their neighbours, or any. */
size_t random_size(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 63, 64, 65 };

	return one_in(6) ? below(300) : sizes[below(sizeof(sizes) / sizeof(sizes[0]))];
}

/* A selector of t, right or subtly wrong. */
void put_selector(struct builder *b, const struct target *t)
{
	switch (below(6)) {
	case 0:
		put_u(b, DIRTYSCOPE_ATTR_VM_ID, t->id, 8);
		break;
	case 1:
		put_u(b, DIRTYSCOPE_ATTR_VM_PID, t->pid, 4);
		put_u(b, DIRTYSCOPE_ATTR_VM_FD, (uint32_t)t->fd, 4);
		break;
	case 2:	/* neighbours and the reserved 0 */
		put_u(b, DIRTYSCOPE_ATTR_VM_ID, t->id + below(3) - 1, 8);
		break;
	case 3:	/* half a selector */
		put_u(b, one_in(2) ? DIRTYSCOPE_ATTR_VM_PID : DIRTYSCOPE_ATTR_VM_FD,
		      one_in(2) ? t->pid : (uint32_t)t->fd, 4);
		break;
	case 4:	/* both kinds at once, maybe disagreeing */
		put_u(b, DIRTYSCOPE_ATTR_VM_ID, one_in(2) ? t->id : rnd(), 8);
		put_u(b, DIRTYSCOPE_ATTR_VM_PID, t->pid, 4);
		put_u(b, DIRTYSCOPE_ATTR_VM_FD, (uint32_t)t->fd, 4);
		break;
	default:
		break;	/* none */
	}
}

void put_random_attrs(struct builder *b, const struct target *t, int n)
{
	for (int i = 0; i < n; i++) {
		if (one_in(4)) {
			put_selector(b, t);
			continue;
		}
		put_attr(b, random_attr_type(), NULL, random_size());
	}
}

/* Nests inside nests, with honest or lying lengths inside. */
void put_nest(struct builder *b, int depth)
{
	size_t start = b->len;
	struct nlattr *a = put_attr(b, (one_in(2) ? DIRTYSCOPE_ATTR_STATS : random_attr_type()) |
				    (one_in(2) ? NLA_F_NESTED : 0), NULL, 0);
	int n = below(4);

	if (!a)
		return;
	for (int i = 0; i < n; i++) {
		if (depth < 8 && one_in(3))
			put_nest(b, depth + 1);
		else
			put_attr(b, below(DIRTYSCOPE_STAT_MAX + 3), NULL, random_size() % 16);
	}
	a = (struct nlattr *)(b->buf + start);
	a->nla_len = b->len - start;
	if (one_in(5))
		a->nla_len += below(64) - 32;	/* a lie, either way */
}
