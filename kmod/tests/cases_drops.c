// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope_kmod_test: what the module sees but cannot count is counted
 * as a drop, with its reason, and readers learn of resets from the reset
 * generation.
 *
 * Each fault case runs a fresh VM (a second ring_guest) under one fault
 * (the max_vms parameter, or a debugfs fault/ knob that makes the next
 * take of a pool entry fail) and requires the drop to be counted, the
 * lost events to cover what the guest did that the module missed, and
 * the VM to be counted exactly once tracked. The twin of all of them is
 * the main VM, run without faults: every drop count 0, and cases_counters
 * found its counters exact.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
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

#define MAX_VMS_PARAM "/sys/module/dirtyscope/parameters/max_vms"
#define RING_RATE_PARAM "/sys/module/dirtyscope/parameters/ring_events_per_sec"
#define MAX_TASKS_PARAM "/sys/module/dirtyscope/parameters/max_tasks"
/* The attribution table's size for the churn, and the threads churned. */
#define CHURN_TABLE "8"
#define CHURN_THREADS 24
#define FAULT DEBUGFS "/fault/"
#define NOTIFY_ROUNDS 10

static uint64_t sum_drops(const uint64_t *d)
{
	uint64_t n = 0;

	for (int i = 0; i <= DIRTYSCOPE_DROP_MAX; i++)
		n += d[i];
	return n;
}

/*
 * What the guest did in one round, from its own harvest; notified: the
 * ring notifications it causes (resets that recycled entries, full exits).
 */
struct round {
	uint64_t pushes, resets, full, notified;
};

static int run_round(struct ring_guest *g, struct round *r)
{
	uint64_t h = g->harvested, rs = g->reset_ioctls, f = g->full_exits;
	uint64_t ne = g->nonempty_resets;
	int ret = ring_guest_round(g);

	r->pushes = g->harvested - h;
	r->resets = g->reset_ioctls - rs;
	r->full = g->full_exits - f;
	r->notified = g->nonempty_resets - ne + r->full;
	return ret;
}

static bool vm_of(struct nl *nl, struct ring_guest *g, struct vm_info *out)
{
	return !get_stats_by_name(nl, getpid(), g->mg.vm, out);
}

static bool new_guest(struct ring_guest *g)
{
	const char *why = NULL;

	memset(g, 0, sizeof(*g));
	if (ring_guest_create(g, &why)) {
		diag("second guest: %s: %s", why, strerror(errno));
		ring_guest_destroy(g);
		return false;
	}
	return true;
}

static void case_no_faults(struct kmod_test *t)
{
	struct module_info mi;
	int r;

	r = get_module(&t->nl, &mi);
	CHECK(!r && mi.have_reset_gen && mi.have_drops && t->st.have_reset_gen &&
	      t->st.have_drops && !sum_drops(mi.drops) && !sum_drops(t->st.drops),
	      "no faults: every drop count is 0, module-wide (%llu) and for the VM (%llu)",
	      (unsigned long long)sum_drops(mi.drops),
	      (unsigned long long)sum_drops(t->st.drops));
}

/* max_vms 0: the table is full; nothing of the VM is counted, all dropped. */
static void case_table_full(struct kmod_test *t)
{
	struct module_info before = { 0 }, after = { 0 };
	struct vm_info st = { 0 };
	struct ring_guest g;
	struct round rd = { 0 }, rd2 = { 0 };
	bool listed, ran;
	int r;

	if (!new_guest(&g)) {
		CHECK(false, "max_vms 0: a second guest runs");
		ktap_skip_to(ktap_nr + 2, "no second guest", "max_vms checks");
		return;
	}
	/* Results first: the arguments of CHECK may be evaluated before it. */
	ran = !get_module(&t->nl, &before) && write_file(MAX_VMS_PARAM, "0") &&
	      !run_round(&g, &rd) && !get_module(&t->nl, &after);
	CHECK(ran, "max_vms 0: a second guest runs (%llu pushes)",
	      (unsigned long long)rd.pushes);
	listed = vm_of(&t->nl, &g, &st);
	CHECK(!listed &&
	      after.drops[DIRTYSCOPE_DROP_VM_TABLE_FULL] > before.drops[DIRTYSCOPE_DROP_VM_TABLE_FULL] &&
	      after.drops[DIRTYSCOPE_DROP_EVENTS] - before.drops[DIRTYSCOPE_DROP_EVENTS] >=
		      rd.pushes + rd.resets + rd.full,
	      "max_vms 0: VM untracked, table_full +%llu, events dropped +%llu >= %llu pushes+resets+full exits",
	      (unsigned long long)(after.drops[DIRTYSCOPE_DROP_VM_TABLE_FULL] -
				   before.drops[DIRTYSCOPE_DROP_VM_TABLE_FULL]),
	      (unsigned long long)(after.drops[DIRTYSCOPE_DROP_EVENTS] -
				   before.drops[DIRTYSCOPE_DROP_EVENTS]),
	      (unsigned long long)(rd.pushes + rd.resets + rd.full));
	write_file(MAX_VMS_PARAM, "1024");
	r = run_round(&g, &rd2);
	CHECK(!r && vm_of(&t->nl, &g, &st) &&
	      st.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] == rd2.pushes &&
	      st.vcpu0[DIRTYSCOPE_STAT_RING_RESETS] == rd2.resets &&
	      st.vcpu0[DIRTYSCOPE_STAT_RING_FULL_EXITS] == rd2.full &&
	      !sum_drops(st.drops),
	      "max_vms restored: the VM is tracked and counted exactly (%llu pushes)",
	      (unsigned long long)rd2.pushes);
	ring_guest_destroy(&g);
}

/*
 * One fault knob, one fresh VM: the knob's reason counted once (module
 * and, for vCPUs, the VM), and counted plus dropped events cover the
 * guest's pushes.
 */
static void case_knob(struct kmod_test *t, const char *knob, int reason,
		      bool per_vm)
{
	struct module_info before = { 0 }, after = { 0 };
	uint64_t d_reason, d_events;
	struct vm_info st = { 0 };
	struct ring_guest g;
	struct round rd = { 0 };
	char path[128];
	int r;

	snprintf(path, sizeof(path), FAULT "%s", knob);
	if (!new_guest(&g)) {
		CHECK(false, "fault/%s: a second guest runs", knob);
		return;
	}
	r = get_module(&t->nl, &before) || !write_file(path, "1") ||
	    run_round(&g, &rd) || get_module(&t->nl, &after) ||
	    !vm_of(&t->nl, &g, &st);
	d_reason = after.drops[reason] - before.drops[reason];
	d_events = after.drops[DIRTYSCOPE_DROP_EVENTS] -
		   before.drops[DIRTYSCOPE_DROP_EVENTS];
	CHECK(!r && d_reason == 1 && (!per_vm || st.drops[reason] == 1) &&
	      st.drops[DIRTYSCOPE_DROP_EVENTS] <= d_events &&
	      st.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] <= rd.pushes &&
	      st.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] + d_events >= rd.pushes,
	      "fault/%s 1: counted once (module +%llu, VM %llu); pushes %llu + %llu dropped events cover %llu",
	      knob, (unsigned long long)d_reason,
	      (unsigned long long)st.drops[reason],
	      (unsigned long long)st.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES],
	      (unsigned long long)d_events, (unsigned long long)rd.pushes);
	ring_guest_destroy(&g);
}

/* A new thread (a child process) runs a fresh VM for one round. */
static int child_round(void)
{
	struct ring_guest g;
	struct round rd = { 0 };
	int r;

	if (!new_guest(&g))
		return 101;
	r = run_round(&g, &rd);
	ring_guest_destroy(&g);
	return r ? 102 : 0;
}

/*
 * fault/task_alloc: a thread's first vCPU exit finds no task entry, once;
 * this test's own thread has one already, so a child runs the guest.
 */
static void case_task(struct kmod_test *t)
{
	struct module_info before = { 0 }, after = { 0 };
	int status = -1;
	uint64_t d;
	pid_t pid;
	bool ok;

	ok = !get_module(&t->nl, &before) && write_file(FAULT "task_alloc", "1");
	pid = ok ? fork() : -1;
	if (pid == 0)
		_exit(child_round());
	ok = ok && pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	     WEXITSTATUS(status) == 0 && !get_module(&t->nl, &after);
	d = after.drops[DIRTYSCOPE_DROP_TASK] - before.drops[DIRTYSCOPE_DROP_TASK];
	CHECK(ok && d == 1,
	      "fault/task_alloc 1: a new thread's attribution entry missing once (module +%llu, child status 0x%x)",
	      (unsigned long long)d, status);
}

/* One short-lived task sharing our memory (so KVM lets it run our VM). */
static int churn_task(void *arg)
{
	return ring_guest_round(arg) ? 1 : 0;
}

/*
 * With room for 8 threads' attribution, 24 tasks one after another each
 * run a round of one VM and exit: the entries of exited ones must make
 * room, so every one is remembered (no drop task). They stay unreaped
 * zombies until the end, so no task_struct is reused: each is a new task
 * to the module, as in real churn, not a recycled address.
 */
static void case_thread_churn(struct kmod_test *t, struct ring_guest *g)
{
	static char stacks[CHURN_THREADS][64 * 1024];
	struct module_info before = { 0 }, after = { 0 };
	pid_t pid[CHURN_THREADS];
	int i, n = 0, r;
	uint64_t d;

	r = !write_file(MAX_TASKS_PARAM, CHURN_TABLE) || get_module(&t->nl, &before);
	for (i = 0; i < CHURN_THREADS && !r; i++) {
		siginfo_t si = { 0 };

		fflush(stdout);
		pid[n] = clone(churn_task, stacks[i] + sizeof(stacks[i]),
			       CLONE_VM | SIGCHLD, g);
		if (pid[n] < 0)
			break;
		/* Exited, not reaped (WNOWAIT): its task_struct stays. */
		r = waitid(P_PID, pid[n++], &si, WEXITED | WNOWAIT) ||
		    si.si_code != CLD_EXITED || si.si_status != 0;
	}
	r = r || i < CHURN_THREADS || get_module(&t->nl, &after);
	for (int k = 0; k < n; k++)
		waitpid(pid[k], NULL, 0);
	write_file(MAX_TASKS_PARAM, "4096");
	d = after.drops[DIRTYSCOPE_DROP_TASK] - before.drops[DIRTYSCOPE_DROP_TASK];
	CHECK(!r && d == 0,
	      "max_tasks " CHURN_TABLE ": %d tasks in turn run one VM, each attributed (drop task +%llu)",
	      i, (unsigned long long)d);
}

/*
 * fault/no_name: the VM is named from its fd on the workqueue, as when KVM
 * gives it no debugfs directory; what it did meanwhile is pending, dropped.
 */
static void case_no_name(struct kmod_test *t, struct ring_guest *g)
{
	struct vm_info st = { 0 };
	char want[64];
	struct round rd = { 0 };
	int r;

	uint64_t deadline;

	snprintf(want, sizeof(want), "%d-%d", getpid(), g->mg.vm);
	r = !write_file(FAULT "no_name", "1") || run_round(g, &rd);
	/* Published once the workqueue found the fd: a moment after its first event. */
	for (deadline = now_ms() + 3000; !r && !vm_of(&t->nl, g, &st) &&
	     now_ms() < deadline;)
		usleep(20000);
	r = r || !vm_of(&t->nl, g, &st);
	CHECK(!r && !strcmp(st.name, want) &&
	      st.drops[DIRTYSCOPE_DROP_PENDING_EVENTS] == st.drops[DIRTYSCOPE_DROP_EVENTS] &&
	      st.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] + st.drops[DIRTYSCOPE_DROP_EVENTS] >= rd.pushes,
	      "fault/no_name: VM named %s from its fd (want %s); %llu pending events, all its drops",
	      st.name, want, (unsigned long long)st.drops[DIRTYSCOPE_DROP_PENDING_EVENTS]);
}

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
static void case_reset_flood(struct kmod_test *t)
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

/* Reader B sees reader A's RESET_STATS as a new generation. */
static void case_reset_generation(struct kmod_test *t, struct ring_guest *g)
{
	struct vm_info b1 = { 0 }, b2 = { 0 }, b3 = { 0 };
	struct module_info m1 = { 0 }, m2 = { 0 };
	struct nl b = { 0 };
	int r;

	r = nl_open(&b) || nl_resolve(&b) || !vm_of(&b, g, &b1) || !vm_of(&b, g, &b2);
	CHECK(!r && b1.have_reset_gen && b2.reset_gen == b1.reset_gen,
	      "reader B: no reset in between, same generation %llu",
	      (unsigned long long)b1.reset_gen);
	r = r || reset_stats(&t->nl, b1.id) || !vm_of(&b, g, &b3);
	CHECK(!r && b3.reset_gen == b1.reset_gen + 1 &&
	      b3.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] == 0,
	      "reader A resets the VM: B sees generation %llu -> %llu",
	      (unsigned long long)b1.reset_gen, (unsigned long long)b3.reset_gen);
	r = r || get_module(&b, &m1) || reset_stats(&t->nl, 0) || get_module(&b, &m2) ||
	    !vm_of(&b, g, &b2);
	CHECK(!r && m2.reset_gen == m1.reset_gen + 1 && b2.reset_gen == b3.reset_gen + 1,
	      "reader A resets every VM: B sees the module's generation %llu -> %llu and the VM's move",
	      (unsigned long long)m1.reset_gen, (unsigned long long)m2.reset_gen);
	if (b.fd > 0)
		close(b.fd);
}

static int get_module_as_child(void *ctx)
{
	struct module_info mi;
	struct nl nl = { 0 };

	(void)ctx;
	if (nl_open(&nl) || nl_resolve(&nl))
		return 101;
	return -get_module(&nl, &mi);
}

void cases_drops(struct kmod_test *t)
{
	struct ring_guest g;
	int r;

	case_no_faults(t);
	r = run_as(NOBODY_UID, NOBODY_GID, get_module_as_child, NULL);
	CHECK(r == EPERM, "GET_MODULE as nobody: EPERM, module-wide (got %d)", r);
	case_table_full(t);
	case_knob(t, "vm_alloc", DIRTYSCOPE_DROP_VM_ALLOC, false);
	case_knob(t, "vcpu_alloc", DIRTYSCOPE_DROP_VCPU_ALLOC, true);
	case_task(t);
	case_reset_flood(t);
	if (!new_guest(&g)) {
		ktap_skip_to(ktap_nr + 8, "no second guest", "no_name, notify, churn, generations");
		return;
	}
	case_no_name(t, &g);
	case_notify(t, &g, true);
	case_notify(t, &g, false);
	case_rate_limit(t, &g);
	case_thread_churn(t, &g);
	case_reset_generation(t, &g);
	ring_guest_destroy(&g);
}
