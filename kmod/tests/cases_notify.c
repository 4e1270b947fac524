// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope_kmod_test: ring notifications. A listener's lost copies are
 * counted (or, without NETLINK_BROADCAST_ERROR, cannot be), a VM owner
 * resetting empty rings at full speed makes the module send nothing, and
 * the per-VM rate limit holds. Run from cases_drops() in its order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "host_util.h"
#include "kmod_test.h"
#include "ktap.h"
#include "module_view.h"

#define RING_RATE_PARAM "/sys/module/dirtyscope/parameters/ring_events_per_sec"
#define NOTIFY_ROUNDS 10

/* Ring events on a socket, counted; the overflow error is read past. */
static int count_events(int fd)
{
	static char buf[1 << 16];
	struct nlmsghdr *nlh;
	int n = 0;
	ssize_t len;

	for (;;) {
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0 && errno == ENOBUFS)
			continue;	/* the overrun report, then the rest */
		if (len <= 0)
			return n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len))
			n++;
	}
}

/*
 * A listener whose receive buffer holds one notification. With
 * NETLINK_BROADCAST_ERROR the kernel tells the sender each copy it could
 * not queue: received + dropped = sent. Without it (the twin) the kernel
 * tells only the listener (ENOBUFS on its socket), the sender cannot know,
 * and the module counts nothing.
 */
static void case_notify(struct kmod_test *t, struct ring_guest *g, bool report)
{
	struct vm_info before = { 0 }, after = { 0 };
	int one = 1, zero = 0, got = -1;
	uint64_t dropped;
	struct nl ev = { 0 };
	struct round rd = { 0 };
	int r;

	r = nl_open_events(&ev, &t->nl) ||
	    setsockopt(ev.fd, SOL_SOCKET, SO_RCVBUF, &zero, sizeof(zero)) ||
	    (report && setsockopt(ev.fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR,
				  &one, sizeof(one))) ||
	    !vm_of(&t->nl, g, &before);
	/*
	 * The smallest buffer still holds a few trimmed notifications: send
	 * more than that without reading (a round sends about three).
	 */
	for (int i = 0; i < NOTIFY_ROUNDS && !r; i++) {
		struct round one_rd = { 0 };

		r = run_round(g, &one_rd);
		rd.notified += one_rd.notified;
	}
	r = r || !vm_of(&t->nl, g, &after);
	if (ev.fd > 0) {
		got = count_events(ev.fd);
		close(ev.fd);
	}
	dropped = after.drops[DIRTYSCOPE_DROP_NOTIFY] - before.drops[DIRTYSCOPE_DROP_NOTIFY];
	if (report)
		CHECK(!r && dropped > 0 && got + dropped == rd.notified,
		      "tiny listener with NETLINK_BROADCAST_ERROR: %d received + %llu counted dropped == %llu sent",
		      got, (unsigned long long)dropped,
		      (unsigned long long)rd.notified);
	else
		CHECK(!r && dropped == 0 && got >= 0 && (uint64_t)got < rd.notified,
		      "tiny listener without it: it lost %llu of %llu, the module cannot know (counted %llu)",
		      (unsigned long long)(rd.notified - got),
		      (unsigned long long)rd.notified,
		      (unsigned long long)dropped);
}

/* An events socket whose lost copies the module counts (DROP_NOTIFY). */
static int open_counted_listener(struct kmod_test *t, struct nl *ev)
{
	int one = 1;

	return nl_open_events(ev, &t->nl) ?:
	       (setsockopt(ev->fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &one,
			   sizeof(one)) ? -errno : 0);
}

/* Ring notifications of a VM the module did not send: lost or limited. */
static uint64_t unsent(const struct vm_info *before, const struct vm_info *after)
{
	return after->drops[DIRTYSCOPE_DROP_NOTIFY] -
	       before->drops[DIRTYSCOPE_DROP_NOTIFY] +
	       after->drops[DIRTYSCOPE_DROP_NOTIFY_LIMIT] -
	       before->drops[DIRTYSCOPE_DROP_NOTIFY_LIMIT];
}

/* What the flooding child did, sent to the parent once it is done. */
struct flood_result {
	uint64_t ioctls, notified;
	char name[64];
};

/*
 * As nobody: a ring guest of its own runs one round, then its rings are
 * reset in a loop for flood_ms (nothing left to recycle); the VM stays
 * until stop_fd reaches EOF so the parent can read its drops.
 */
static int flood_child(int kvm_fd, unsigned int flood_ms, int out_fd, int stop_fd)
{
	struct flood_result res = { 0 };
	struct ring_guest g;
	const char *why = NULL;
	uint64_t start;
	char c;

	if (setgid(NOBODY_GID) || setuid(NOBODY_UID))
		return 100;
	if (ring_guest_create_from(&g, kvm_fd, &why) || ring_guest_round(&g)) {
		diag("flooding VM: %s: %s", why ? why : "round", strerror(errno));
		return 1;
	}
	start = now_ms();
	while (now_ms() - start < flood_ms) {
		if (ioctl(g.mg.vm, KVM_RESET_DIRTY_RINGS, 0) < 0)
			return 2;
		res.ioctls++;
	}
	res.notified = g.nonempty_resets + g.full_exits;
	snprintf(res.name, sizeof(res.name), "%d-%d", getpid(), g.mg.vm);
	if (write(out_fd, &res, sizeof(res)) != sizeof(res))
		return 3;
	while (read(stop_fd, &c, 1) > 0)
		;
	ring_guest_destroy(&g);
	return 0;
}

/*
 * Its owner resetting empty rings at full speed makes the module send
 * nothing: only the resets that recycled entries and the full exits are
 * notified (or counted as not sent). The listener reads while the loop
 * runs, so what the module sent is what it receives.
 */
void case_reset_flood(struct kmod_test *t)
{
	struct ring_events rev = { 0 };
	struct flood_result res = { 0 };
	struct vm_info none = { 0 }, st = { 0 };
	static struct vm_list l;
	struct vm_info *vm = NULL;
	int out[2] = { -1, -1 }, stop[2] = { -1, -1 };
	struct nl ev = { 0 };
	uint64_t received, lost = 0, start = now_ms(), secs;
	ssize_t n = 0;
	pid_t child = -1;

	if (!open_counted_listener(t, &ev) && !pipe(out) && !pipe(stop)) {
		fflush(stdout);
		child = fork();
		if (child == 0) {
			close(out[0]);
			close(stop[1]);
			_exit(flood_child(t->g.mg.kvm, t->flood_ms, out[1], stop[0]));
		}
		close(out[1]);
		close(stop[0]);
	}
	while (child > 0) {
		struct pollfd p[2] = { { .fd = out[0], .events = POLLIN },
				       { .fd = ev.fd, .events = POLLIN } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		drain_ring_events(ev.fd, &rev);
		if (p[0].revents) {
			n = read(out[0], &res, sizeof(res));
			break;
		}
	}
	secs = (now_ms() - start) / 1000;
	/* After GET_STATS: the module sends every notification before it replies. */
	if (n == sizeof(res) && !list_vms(&t->nl, &l) &&
	    (vm = find_vm(&l, res.name)) && !get_stats_by_id(&t->nl, vm->id, &st))
		lost = unsent(&none, &st);
	drain_ring_events(ev.fd, &rev);
	if (stop[1] >= 0)
		close(stop[1]);
	if (child > 0)
		waitpid(child, NULL, 0);
	close(out[0]);
	if (ev.fd > 0)
		close(ev.fd);
	received = rev.reset + rev.full;
	diag("nobody's VM %s: %llu KVM_RESET_DIRTY_RINGS in %u ms, %llu worth notifying; %llu received, %llu not sent",
	     res.name, (unsigned long long)res.ioctls, t->flood_ms,
	     (unsigned long long)res.notified, (unsigned long long)received,
	     (unsigned long long)lost);
	CHECK(vm && res.ioctls > res.notified &&
	      received <= DIRTYSCOPE_RING_EVENTS_PER_SEC * (secs + 2) &&
	      received + lost == res.notified,
	      "reset flood as the VM owner: received + counted unsent == resets that recycled entries + full exits");
}

/*
 * With the limit lowered to 1 a second, rounds run until they notified
 * more than the limit allows for the time they took (a span of less than
 * secs + 1 seconds touches at most secs + 2 of the kernel's seconds):
 * then some were limited, and received + counted == notified.
 */
static void case_rate_limit(struct kmod_test *t, struct ring_guest *g)
{
	struct ring_events rev = { 0 };
	struct vm_info before = { 0 }, after = { 0 };
	uint64_t notified = 0, secs = 0, start, limited, received;
	struct nl ev = { 0 };
	int r, rounds = 0;

	r = !write_file(RING_RATE_PARAM, "1") || open_counted_listener(t, &ev) ||
	    !vm_of(&t->nl, g, &before);
	start = now_ms();
	while (!r && notified <= secs + 2 && rounds++ < 1000) {
		struct round rd = { 0 };

		r = run_round(g, &rd);
		notified += rd.notified;
		secs = (now_ms() - start) / 1000;
	}
	r = r || !vm_of(&t->nl, g, &after);
	write_file(RING_RATE_PARAM, "1000");
	rev.vm_id = before.id;
	if (ev.fd > 0) {
		drain_ring_events(ev.fd, &rev);
		close(ev.fd);
	}
	received = rev.reset + rev.full;
	limited = after.drops[DIRTYSCOPE_DROP_NOTIFY_LIMIT] -
		  before.drops[DIRTYSCOPE_DROP_NOTIFY_LIMIT];
	CHECK(!r && received <= secs + 2 && limited > 0 &&
	      received + unsent(&before, &after) == notified,
	      "ring_events_per_sec 1: %llu received in %llu s, %llu limited, of %llu notified",
	      (unsigned long long)received, (unsigned long long)secs,
	      (unsigned long long)limited, (unsigned long long)notified);
}

void cases_notify(struct kmod_test *t, struct ring_guest *g)
{
	case_notify(t, g, true);
	case_notify(t, g, false);
	case_rate_limit(t, g);
}
