// SPDX-License-Identifier: GPL-2.0
/*
 * genl_fuzz: random and malformed generic netlink messages against
 * dirtyscope.ko (issue 12, section 3, "in-kernel side").
 *
 * Usage: genl_fuzz [-n MESSAGES] [-s SEED] [-u PERCENT]
 *   -n  messages in all (default 100000); -u: the share sent as nobody
 *       (default 20); -s: the seed (default: from the clock; printed, and
 *       the same seed sends the same sequence of shapes and bytes).
 *
 * Needs root, /dev/kvm and dirtyscope.ko loaded; built static (raw
 * netlink) for the VM harness. Prints KTAP; exit 0 pass, 1 fail, 4 skip.
 *
 * It owns every VM it mutates: a dirty-ring VM of its own (ring_guest.c,
 * run between batches so the probes fire while messages arrive) and a VM
 * owned by nobody (owned_vm.c). Root sends most messages; a child running
 * as nobody sends the rest, so the permission paths see garbage too.
 * Every CHECK_EVERY messages a valid LIST_VMS and GET_STATS on a separate
 * socket must still answer correctly. Afterwards: no warning in the kernel
 * log since the start, the module still answers, and its live allocation
 * count returns to what it was before the fuzzer's VMs existed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "host_util.h"
#include "kmsg_check.h"
#include "ktap.h"
#include "module_view.h"
#include "owned_vm.h"
#include "ring_guest.h"
#include "stats_client.h"

#define PLAN 8
#define CHECK_EVERY 256
#define ROUND_EVERY 4096	/* a guest round: probes fire between messages */
#define MAX_MSG 4096

/* splitmix64: tiny, and the whole sequence follows from the seed. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool one_in(uint32_t n)
{
	return below(n) == 0;
}

/* A VM the fuzzer may name: its selector, right or deliberately wrong. */
struct target {
	uint64_t id;
	uint32_t pid;
	int32_t fd;
	char name[64];
};

/* What a fuzzing phase did, shared with the nobody child (MAP_SHARED). */
struct tally {
	uint64_t sent, send_errors, replies, acks, dump_parts, overruns;
	uint64_t err[8];	/* see err_slot() */
	int other_errno, send_errno;	/* the last of each, for the report */
	uint64_t valid_checks, valid_failures;
	char first_failure[200];
};

static const char *const err_names[8] = {
	"EINVAL", "ENOENT", "EPERM", "EOPNOTSUPP", "ERANGE", "ENOSPC", "EMSGSIZE", "other",
};

static int err_slot(int e)
{
	switch (e) {
	case EINVAL: return 0;
	case ENOENT: return 1;
	case EPERM: return 2;
	case EOPNOTSUPP: return 3;
	case ERANGE: return 4;
	case ENOSPC: return 5;
	case EMSGSIZE: return 6;
	default: return 7;
	}
}

/* --- building messages ------------------------------------------------ */

struct builder {
	char buf[MAX_MSG] __attribute__((aligned(8)));
	size_t len;		/* bytes built so far */
};

static void *put_raw(struct builder *b, const void *data, size_t len)
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

static void pad4(struct builder *b)
{
	while (b->len % 4 && b->len < sizeof(b->buf))
		b->buf[b->len++] = one_in(8) ? (char)rnd() : 0;
}

/* One attribute: the header is honest unless the shape says otherwise. */
static struct nlattr *put_attr(struct builder *b, uint16_t type, const void *data,
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

static void put_u(struct builder *b, uint16_t type, uint64_t v, size_t size)
{
	put_attr(b, type, &v, size);	/* little-endian: the low bytes */
}

static uint16_t random_attr_type(void)
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
static size_t random_size(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 63, 64, 65 };

	return one_in(6) ? below(300) : sizes[below(sizeof(sizes) / sizeof(sizes[0]))];
}

/* A selector of t, right or subtly wrong. */
static void put_selector(struct builder *b, const struct target *t)
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

static void put_random_attrs(struct builder *b, const struct target *t, int n)
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
static void put_nest(struct builder *b, int depth)
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

/*
 * The message shapes. Each is one or more netlink messages in one send;
 * lengths are correct unless the shape is about lying.
 */
enum shape {
	SHAPE_RANDOM_ATTRS,	/* any command, version, flags; random attributes */
	SHAPE_WRONG_TYPES,	/* known attributes with the wrong payload size */
	SHAPE_TRUNCATED,	/* header cut short: nlmsghdr or genlmsghdr */
	SHAPE_LEN_LIE,		/* nlmsg_len or nla_len disagreeing with the bytes */
	SHAPE_NESTED,		/* nested garbage, up to 8 deep */
	SHAPE_MUTATE,		/* SPP_SET / RESET_STATS / SPP_GET on the fuzzer's VMs */
	SHAPE_BITFLIP,		/* a valid request with a few bits flipped */
	SHAPE_BATCH,		/* several requests in one datagram */
	SHAPE_OVERSIZED,	/* many attributes, or one huge one */
	SHAPE_HEADER,		/* bad version, reserved bytes, flags */
	NR_SHAPES
};

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
}

/* Builds one datagram of the given shape; returns the bytes to send. */
static size_t build(struct builder *b, enum shape s, uint16_t family, const struct target *t)
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

/* --- sending and receiving ------------------------------------------- */

/*
 * genetlink handles a request inside sendmsg(), so its replies are queued
 * by the time send() returns; a dump's further parts are produced as we
 * read. Messages the kernel drops (a lying nlmsg_len, no NLM_F_REQUEST)
 * get no reply at all, so nothing here may block.
 */
static void drain(int fd, struct tally *ty)
{
	static char buf[1 << 16];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			ty->overruns++;	/* our receive queue overflowed: go on */
			continue;
		}
		if (n <= 0)
			return;
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			ty->replies++;
			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
				int e = ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;

				if (e == 0) {
					ty->acks++;
				} else {
					ty->err[err_slot(-e)]++;
					if (err_slot(-e) == 7)
						ty->other_errno = -e;
				}
			} else if (nlh->nlmsg_type != NLMSG_DONE) {
				ty->dump_parts++;
			}
		}
	}
}

static void fail_once(struct tally *ty, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail_once(struct tally *ty, const char *fmt, ...)
{
	va_list ap;

	if (ty->valid_failures++)
		return;
	va_start(ap, fmt);
	vsnprintf(ty->first_failure, sizeof(ty->first_failure), fmt, ap);
	va_end(ap);
}

/*
 * The reply to a valid GET_STATS must describe exactly the VM asked for.
 * Counters are not compared: the fuzzer resets them at random.
 */
static bool reply_describes(const struct vm_info *st, const struct target *t,
			    uint32_t ring_size, char *why, size_t whylen)
{
	if (st->id != t->id || st->pid != t->pid || st->fd != t->fd ||
	    strcmp(st->name, t->name) || st->nr_vcpus != 1 ||
	    st->total[DIRTYSCOPE_STAT_RING_SIZE] != ring_size) {
		snprintf(why, whylen,
			 "got id %" PRIu64 " pid %u fd %d name '%s' vcpus %u ring %" PRIu64
			 ", want %" PRIu64 " %u %d '%s' 1 %u",
			 st->id, st->pid, st->fd, st->name, st->nr_vcpus,
			 st->total[DIRTYSCOPE_STAT_RING_SIZE], t->id, t->pid, t->fd, t->name,
			 ring_size);
		return false;
	}
	return true;
}

/* Valid requests on their own socket: mine answers, hidden stays hidden. */
static void valid_check(struct nl *vnl, const struct target *mine, uint32_t ring_size,
			const struct target *hidden, struct tally *ty)
{
	static struct vm_list list;
	struct vm_info st;
	char why[200];
	int r;

	ty->valid_checks++;
	r = get_stats_by_id(vnl, mine->id, &st);
	if (r) {
		fail_once(ty, "GET_STATS of %s: %s", mine->name, strerror(-r));
		return;
	}
	if (!reply_describes(&st, mine, ring_size, why, sizeof(why))) {
		fail_once(ty, "GET_STATS of %s: %s", mine->name, why);
		return;
	}
	r = list_vms(vnl, &list);
	if (r || !find_vm(&list, mine->name) || find_vm(&list, mine->name)->id != mine->id) {
		fail_once(ty, "LIST_VMS: %s missing or wrong (%s)", mine->name, strerror(-r));
		return;
	}
	if (hidden && (find_vm(&list, hidden->name) ||
		       get_stats_by_id(vnl, hidden->id, &st) != -ENOENT))
		fail_once(ty, "%s visible to uid %u", hidden->name, (unsigned int)geteuid());
}

struct phase {
	uint64_t messages;
	uint64_t seed;
	const struct target *mine;	/* the sender's own VM */
	uint32_t ring_size;		/* of mine */
	const struct target *other;	/* the other VM: mutations there too */
	const struct target *hidden;	/* must stay invisible (NULL: none) */
	struct ring_guest *guest;	/* run now and then (NULL: none) */
	struct tally *ty;
};

static int fuzz_phase(void *arg)
{
	struct phase *p = arg;
	struct tally *ty = p->ty;
	static struct builder b;
	struct nl fz, vnl;
	int r;

	rng_state = p->seed;
	r = nl_open(&fz) ?: nl_open(&vnl) ?: nl_resolve(&vnl);
	if (r) {
		fail_once(ty, "netlink setup: %s", strerror(-r));
		return 1;
	}
	fz.family = vnl.family;
	for (uint64_t i = 0; i < p->messages; i++) {
		/* Mostly the sender's own VM; the other VM's selector too. */
		const struct target *t = p->other && one_in(4) ? p->other : p->mine;
		size_t len = build(&b, below(NR_SHAPES), fz.family, t);

		if (send(fz.fd, b.buf, len, 0) < 0) {
			ty->send_errors++;
			ty->send_errno = errno;
		}
		ty->sent++;
		drain(fz.fd, ty);
		if (i % CHECK_EVERY == CHECK_EVERY - 1)
			valid_check(&vnl, p->mine, p->ring_size, p->hidden, ty);
		if (p->guest && i % ROUND_EVERY == ROUND_EVERY - 1 && ring_guest_round(p->guest))
			fail_once(ty, "guest round %" PRIu64 " failed", i / ROUND_EVERY);
	}
	valid_check(&vnl, p->mine, p->ring_size, p->hidden, ty);
	close(fz.fd);
	close(vnl.fd);
	return ty->valid_failures ? 1 : 0;
}

static void report_tally(const char *who, const struct tally *ty)
{
	char errs[256];
	int n = 0;

	for (int i = 0; i < 8; i++)
		n += snprintf(errs + n, sizeof(errs) - n, " %s %" PRIu64, err_names[i], ty->err[i]);
	diag("%s: %" PRIu64 " messages, %" PRIu64 " send errors (last: %s), %" PRIu64
	     " replies: %" PRIu64 " acks, %" PRIu64 " dump parts, errors:%s (last other: %s); %"
	     PRIu64 " receive overruns",
	     who, ty->sent, ty->send_errors, ty->send_errno ? strerror(ty->send_errno) : "-",
	     ty->replies, ty->acks, ty->dump_parts, errs,
	     ty->other_errno ? strerror(ty->other_errno) : "-", ty->overruns);
	diag("%s: %" PRIu64 " valid checks, %" PRIu64 " failed%s%s", who, ty->valid_checks,
	     ty->valid_failures, ty->valid_failures ? ": first: " : "", ty->first_failure);
}

static bool target_of(struct nl *nl, const char *name, struct target *t)
{
	static struct vm_list list;
	struct vm_info *v;

	if (list_vms(nl, &list) || !(v = find_vm(&list, name)))
		return false;
	t->id = v->id;
	t->pid = v->pid;
	t->fd = v->fd;
	snprintf(t->name, sizeof(t->name), "%s", v->name);
	return true;
}

/* Waits until the module's live allocations come back to base. */
static int64_t wait_live(int64_t base, int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	int64_t live;

	while ((live = module_live_allocations()) != base && now_ms() < deadline)
		usleep(20000);
	return live;
}

int main(int argc, char **argv)
{
	static char log[1 << 20];
	uint64_t messages = 100000, seed = 0, t0, ms;
	struct target mine = { 0 }, nobody_vm = { 0 };
	struct tally *tys;
	struct owned_vm ov;
	struct ring_guest g;
	struct kmsg_verdict kv;
	int unpriv_pct = 20, kmsg, c, r;
	int64_t base, during, after;
	const char *why = NULL;
	size_t log_len = 0;
	struct nl nl;
	bool have_seed = false;

	while ((c = getopt(argc, argv, "n:s:u:")) != -1) {
		switch (c) {
		case 'n': messages = strtoull(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); have_seed = true; break;
		case 'u': unpriv_pct = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-n MESSAGES] [-s SEED] [-u PERCENT]\n", argv[0]);
			return 2;
		}
	}
	if (unpriv_pct < 0 || unpriv_pct > 100) {
		fprintf(stderr, "genl_fuzz: -u %d: a percentage is 0..100\n", unpriv_pct);
		return 2;
	}
	if (!have_seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

	ktap_header(PLAN);
	diag("seed %" PRIu64 " (rerun: genl_fuzz -n %" PRIu64 " -s %" PRIu64 " -u %d)", seed,
	     messages, seed, unpriv_pct);

	/* Negative twin of the log judge: it must flag what it looks for. */
	{
		struct kmsg_verdict twin;

		kmsg_check_text("[   1.0] WARNING: CPU: 0 PID: 1 at kmod/netlink.c:10 x\n"
				"[   1.1] list_del corruption. next->prev should be ...\n", &twin);
		CHECK(twin.bad_lines == 2, "log judge flags a fabricated WARNING and list_del corruption");
	}

	kmsg = kmsg_follow_open();
	base = module_live_allocations();
	r = nl_open(&nl) ?: nl_resolve(&nl);
	if (r) {
		printf("# Bail out! dirtyscope family: %s\n", strerror(-r));
		return 1;
	}
	r = ring_guest_create(&g, &why);
	if (r == 4) {
		diag("%s", why);
		ktap_skip_to(PLAN, why, "fuzzing needs a VM");
		return ktap_exit_code(4);
	}
	if (r || ring_guest_round(&g)) {
		printf("# Bail out! guest: %s: %s\n", why ? why : "first round", strerror(errno));
		return 1;
	}
	snprintf(mine.name, sizeof(mine.name), "%d-%d", getpid(), g.mg.vm);
	if (owned_vm_start(&ov, NOBODY_UID, NOBODY_GID, g.mg.kvm)) {
		printf("# Bail out! nobody's VM did not start\n");
		return 1;
	}
	if (!target_of(&nl, mine.name, &mine) || !target_of(&nl, ov.name, &nobody_vm)) {
		printf("# Bail out! the module does not list %s and %s\n", mine.name, ov.name);
		return 1;
	}
	during = module_live_allocations();
	diag("live allocations: %" PRId64 " before the VMs, %" PRId64 " with them", base, during);
	/* The twin of the leak check: the counter must see the VMs at all. */
	CHECK(base >= 0 && during > base, "live allocations rise while the fuzzer's VMs exist");

	tys = mmap(NULL, 2 * sizeof(*tys), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tys == MAP_FAILED) {
		printf("# Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	memset(tys, 0, 2 * sizeof(*tys));
	{
		uint64_t unpriv = messages * unpriv_pct / 100;
		struct phase root = {
			.messages = messages - unpriv, .seed = seed, .mine = &mine,
			.ring_size = RING_GUEST_ENTRIES, .other = &nobody_vm, .guest = &g,
			.ty = &tys[0],
		};
		/* Nobody sends its garbage at its own VM and at root's (invisible). */
		struct phase nob = {
			.messages = unpriv, .seed = seed ^ 0x6e6f626f6479ULL, .mine = &nobody_vm,
			.other = &mine, .hidden = &mine, .ty = &tys[1],
		};

		t0 = now_ms();
		fuzz_phase(&root);
		if (unpriv)
			r = run_as(NOBODY_UID, NOBODY_GID, fuzz_phase, &nob);
		ms = now_ms() - t0;
		report_tally("root", &tys[0]);
		if (unpriv)
			report_tally("nobody", &tys[1]);
		diag("%" PRIu64 " messages in %" PRIu64 " ms: %" PRIu64 " messages/s",
		     tys[0].sent + tys[1].sent, ms, ms ? (tys[0].sent + tys[1].sent) * 1000 / ms : 0);
		CHECK(tys[0].sent + tys[1].sent == messages, "sent %" PRIu64 " messages",
		      tys[0].sent + tys[1].sent);
		CHECK(tys[0].valid_failures == 0 && tys[0].valid_checks > 0,
		      "root: %" PRIu64 " interleaved valid requests answered correctly",
		      tys[0].valid_checks);
		CHECK(!unpriv || (r == 0 && tys[1].valid_failures == 0 && tys[1].valid_checks > 0),
		      "nobody: %" PRIu64 " valid requests answered correctly, root's VM hidden",
		      tys[1].valid_checks);
	}

	/* The module still works: its own view of the VM it knows. */
	{
		struct vm_info st;
		char whyr[200] = "";

		r = get_stats_by_id(&nl, mine.id, &st);
		CHECK(r == 0 && reply_describes(&st, &mine, RING_GUEST_ENTRIES, whyr, sizeof(whyr)),
		      "after fuzzing: GET_STATS still describes the fuzzer's VM%s%s",
		      whyr[0] ? ": " : "", whyr);
	}

	owned_vm_stop(&ov);
	ring_guest_destroy(&g);
	after = wait_live(base, 5000);
	CHECK(after == base && wait_vm_dropped(&nl, mine.name, 5000) &&
	      wait_vm_dropped(&nl, ov.name, 5000),
	      "VMs gone: live allocations back to %" PRId64 " (now %" PRId64 ")", base, after);

	if (kmsg >= 0)
		log_len += kmsg_follow_read(kmsg, log, sizeof(log), log_len);
	kmsg_check_text(log, &kv);
	if (kv.bad_lines)
		diag("first bad kernel log line: %s", kv.first_bad);
	CHECK(kmsg >= 0 && kv.bad_lines == 0,
	      "kernel log since the start: no warning, oops or corruption (%d bad lines)",
	      kv.bad_lines);
	close(nl.fd);
	return ktap_exit_code(0);
}
