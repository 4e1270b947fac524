// SPDX-License-Identifier: GPL-2.0
/*
 * A genl_fuzz phase: send the messages, drain whatever comes back (never
 * blocking), tally replies and errors, and every CHECK_EVERY messages ask
 * valid questions on a separate socket that must be answered right.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "genl_fuzz.h"
#include "ktap.h"

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
bool reply_describes(const struct vm_info *st, const struct target *t,
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

int fuzz_phase(void *arg)
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
		/* A run stopped by its time limit still says how far it got. */
		if (i % PROGRESS_EVERY == PROGRESS_EVERY - 1)
			diag("progress: %" PRIu64 " of this phase's %" PRIu64 " messages sent",
			     i + 1, p->messages);
	}
	valid_check(&vnl, p->mine, p->ring_size, p->hidden, ty);
	close(fz.fd);
	close(vnl.fd);
	return ty->valid_failures ? 1 : 0;
}

void report_tally(const char *who, const struct tally *ty)
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
