// SPDX-License-Identifier: GPL-2.0
/*
 * genl_fuzz's message shapes (enum shape, genl_fuzz.h): whole datagrams,
 * valid requests, mutations of the fuzzer's own VMs, and the malformed
 * kinds, built from genl_fuzz_attrs.c's pieces.
 */
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <string.h>

#include "genl_fuzz.h"

static uint8_t random_cmd(void)
{
	switch (below(5)) {
	case 0: return rnd();
	case 1: return DIRTYSCOPE_CMD_MAX + 1 + below(4);
	default: return below(DIRTYSCOPE_CMD_MAX + 1);
	}
}

static uint16_t random_flags(void)
{
	uint16_t f = NLM_F_REQUEST;

	if (one_in(2))
		f |= NLM_F_ACK;
	if (one_in(3))
		f |= NLM_F_DUMP;
	if (one_in(10))
		f = rnd();	/* even without NLM_F_REQUEST */
	return f;
}

/* Starts one message at b->len; returns its offset. */
static size_t begin_msg(struct builder *b, uint16_t family, uint16_t flags,
			uint8_t cmd, uint8_t version)
{
	size_t off = b->len;
	struct nlmsghdr *nlh = put_raw(b, NULL, NLMSG_HDRLEN);
	struct genlmsghdr *g = put_raw(b, NULL, GENL_HDRLEN);

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = rnd();
	nlh->nlmsg_pid = 0;
	g->cmd = cmd;
	g->version = version;
	g->reserved = 0;
	return off;
}

static void end_msg(struct builder *b, size_t off)
{
	((struct nlmsghdr *)(b->buf + off))->nlmsg_len = b->len - off;
}

static void build_valid(struct builder *b, uint16_t family, const struct target *t)
{
	size_t off;

	switch (below(4)) {
	case 0:
		off = begin_msg(b, family, NLM_F_REQUEST | NLM_F_DUMP, DIRTYSCOPE_CMD_LIST_VMS, 1);
		break;
	case 1:
		off = begin_msg(b, family, NLM_F_REQUEST | NLM_F_ACK, DIRTYSCOPE_CMD_GET_STATS, 1);
		put_u(b, DIRTYSCOPE_ATTR_VM_ID, t->id, 8);
		break;
	case 2:
		off = begin_msg(b, family, NLM_F_REQUEST | NLM_F_ACK, DIRTYSCOPE_CMD_SPP_GET, 1);
		put_u(b, DIRTYSCOPE_ATTR_VM_ID, t->id, 8);
		put_u(b, DIRTYSCOPE_ATTR_SPP_GFN, below(64), 8);
		break;
	default:
		off = begin_msg(b, family, NLM_F_REQUEST | NLM_F_ACK, DIRTYSCOPE_CMD_GET_STATS, 1);
		put_u(b, DIRTYSCOPE_ATTR_VM_PID, t->pid, 4);
		put_u(b, DIRTYSCOPE_ATTR_VM_FD, (uint32_t)t->fd, 4);
		break;
	}
	end_msg(b, off);
}

static void build_mutation(struct builder *b, uint16_t family, const struct target *t)
{
	static const uint32_t npages[] = { 0, 1, 2, 7, 64, DIRTYSCOPE_SPP_MAX_PAGES,
					   DIRTYSCOPE_SPP_MAX_PAGES + 1, 0xffffffffU };
	uint16_t flags = NLM_F_REQUEST | (one_in(2) ? NLM_F_ACK : 0);
	uint64_t undo_gfn = 0;
	uint32_t undo_n = 0;
	size_t off;

	switch (below(4)) {
	case 0:
	case 1: {
		/* Small, cheap ranges mostly; the limits and past them sometimes. */
		uint64_t gfn = one_in(8) ? (1ULL << 40) - below(4) : below(256);
		uint32_t n = one_in(8) ? npages[below(8)] : 1 + below(4);
		uint32_t vector = one_in(4) ? DIRTYSCOPE_SPP_FULL_ACCESS : (uint32_t)rnd();

		off = begin_msg(b, family, flags, DIRTYSCOPE_CMD_SPP_SET, 1);
		put_selector(b, t);
		if (!one_in(16))
			put_u(b, DIRTYSCOPE_ATTR_SPP_GFN, gfn, one_in(16) ? 4 : 8);
		if (!one_in(16))
			put_u(b, DIRTYSCOPE_ATTR_SPP_NPAGES, n, 4);
		if (!one_in(16))
			put_u(b, DIRTYSCOPE_ATTR_SPP_VECTOR, vector, 4);
		if (n > 64 && n <= DIRTYSCOPE_SPP_MAX_PAGES) {
			undo_gfn = gfn;
			undo_n = n;
		}
		break;
	}
	case 2:
		off = begin_msg(b, family, flags, DIRTYSCOPE_CMD_RESET_STATS, 1);
		put_selector(b, t);
		break;
	default:
		off = begin_msg(b, family, flags | (one_in(2) ? NLM_F_DUMP : 0),
				DIRTYSCOPE_CMD_SPP_GET, 1);
		put_selector(b, t);
		if (one_in(2))
			put_u(b, DIRTYSCOPE_ATTR_SPP_GFN, below(256), 8);
		break;
	}
	if (one_in(8))
		put_random_attrs(b, t, 1);
	end_msg(b, off);
	/*
	 * A registration of the limit, if it was taken, is taken back in the
	 * same datagram. Left in place, it made every later SPP_GET dump of
	 * that VM 65 536 messages long, and the run then spent its time
	 * dumping, not parsing (one seed: 2.5 M dump parts for 20 000
	 * messages, and 12 times fewer messages per second).
	 */
	if (undo_n) {
		off = begin_msg(b, family, NLM_F_REQUEST, DIRTYSCOPE_CMD_SPP_SET, 1);
		put_u(b, DIRTYSCOPE_ATTR_VM_ID, t->id, 8);
		put_u(b, DIRTYSCOPE_ATTR_SPP_GFN, undo_gfn, 8);
		put_u(b, DIRTYSCOPE_ATTR_SPP_NPAGES, undo_n, 4);
		put_u(b, DIRTYSCOPE_ATTR_SPP_VECTOR, DIRTYSCOPE_SPP_FULL_ACCESS, 4);
		end_msg(b, off);
	}
}

/* Builds one datagram of the given shape; returns the bytes to send. */
size_t build(struct builder *b, enum shape s, uint16_t family, const struct target *t)
{
	size_t off;

	b->len = 0;
	switch (s) {
	case SHAPE_RANDOM_ATTRS:
		off = begin_msg(b, family, random_flags(), random_cmd(), one_in(4) ? rnd() : 1);
		put_random_attrs(b, t, below(7));
		end_msg(b, off);
		return b->len;
	case SHAPE_WRONG_TYPES: {
		static const uint16_t known[] = {
			DIRTYSCOPE_ATTR_VM_ID, DIRTYSCOPE_ATTR_VM_PID, DIRTYSCOPE_ATTR_VM_FD,
			DIRTYSCOPE_ATTR_VM_NAME, DIRTYSCOPE_ATTR_SPP_GFN, DIRTYSCOPE_ATTR_SPP_NPAGES,
			DIRTYSCOPE_ATTR_SPP_VECTOR, DIRTYSCOPE_ATTR_STATS, DIRTYSCOPE_ATTR_PAD,
			DIRTYSCOPE_ATTR_UNATTRIBUTED, DIRTYSCOPE_ATTR_EVENT,
		};
		off = begin_msg(b, family, random_flags(), random_cmd(), 1);
		for (int i = 0, n = 1 + below(3); i < n; i++) {
			uint16_t type = known[below(sizeof(known) / sizeof(known[0]))];

			if (type == DIRTYSCOPE_ATTR_VM_NAME && one_in(2))
				put_attr(b, type, t->name, strlen(t->name)); /* no NUL */
			else
				put_attr(b, type, NULL, random_size() % 17);
		}
		end_msg(b, off);
		return b->len;
	}
	case SHAPE_TRUNCATED:
		off = begin_msg(b, family, random_flags(), random_cmd(), 1);
		put_selector(b, t);
		end_msg(b, off);
		/* Cut anywhere inside the headers, and say so, or not. */
		b->len = below(NLMSG_HDRLEN + GENL_HDRLEN);
		if (one_in(2))
			((struct nlmsghdr *)b->buf)->nlmsg_len = b->len;
		return b->len;
	case SHAPE_LEN_LIE: {
		struct nlmsghdr *nlh;
		struct nlattr *a;

		off = begin_msg(b, family, random_flags(), random_cmd(), 1);
		put_selector(b, t);
		a = put_attr(b, random_attr_type(), NULL, random_size());
		end_msg(b, off);
		nlh = (struct nlmsghdr *)b->buf;
		switch (below(4)) {
		case 0: nlh->nlmsg_len += 1 + below(64); break;		/* past the end */
		case 1: nlh->nlmsg_len = below(nlh->nlmsg_len); break;	/* short */
		case 2: nlh->nlmsg_len = rnd(); break;
		default:
			if (a)
				a->nla_len = one_in(2) ? below(NLA_HDRLEN) : a->nla_len + 1 + below(512);
			break;
		}
		return b->len;
	}
	case SHAPE_NESTED:
		off = begin_msg(b, family, random_flags(), random_cmd(), 1);
		if (one_in(2))
			put_selector(b, t);
		for (int i = 0, n = 1 + below(3); i < n; i++)
			put_nest(b, 0);
		end_msg(b, off);
		return b->len;
	case SHAPE_MUTATE:
		build_mutation(b, family, t);
		return b->len;
	case SHAPE_BITFLIP:
		build_valid(b, family, t);
		for (int i = 0, n = 1 + below(4); i < n; i++) {
			size_t at = below(b->len);

			if (one_in(2))
				b->buf[at] ^= 1 << below(8);
			else
				b->buf[at] = rnd();
		}
		return b->len;
	case SHAPE_BATCH:
		for (int i = 0, n = 2 + below(3); i < n && b->len < MAX_MSG - 512; i++) {
			if (one_in(2))
				build_valid(b, family, t);
			else
				build_mutation(b, family, t);
			/* Messages in a batch are NLMSG_ALIGNed; a gap is garbage. */
			pad4(b);
		}
		return b->len;
	case SHAPE_OVERSIZED:
		off = begin_msg(b, family, random_flags(), random_cmd(), 1);
		if (one_in(2)) {
			put_selector(b, t);
			put_attr(b, random_attr_type(), NULL, 1000 + below(2500));
		} else {
			for (int i = 0, n = 50 + below(250); i < n; i++)
				put_attr(b, random_attr_type(), NULL, below(9));
		}
		end_msg(b, off);
		return b->len;
	case SHAPE_HEADER: {
		struct genlmsghdr *g;

		build_valid(b, family, t);
		g = (struct genlmsghdr *)(b->buf + NLMSG_HDRLEN);
		switch (below(3)) {
		case 0: g->version = one_in(2) ? 0 : rnd(); break;
		case 1: g->reserved = 1 + below(0xffff); break;
		default: ((struct nlmsghdr *)b->buf)->nlmsg_flags ^= 1 << below(16); break;
		}
		return b->len;
	}
	default:
		return 0;
	}
}
