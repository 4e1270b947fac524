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
 * found its counters exact. The ring notifications' cases (a listener's
 * lost copies, the reset flood, the rate limit) are cases_notify.c's.
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
#define MAX_TASKS_PARAM "/sys/module/dirtyscope/parameters/max_tasks"
/* The attribution table's size for the churn, and the threads churned. */
#define CHURN_TABLE "8"
#define CHURN_THREADS 24
#define FAULT DEBUGFS "/fault/"

static uint64_t sum_drops(const uint64_t *d)
{
	uint64_t n = 0;

	for (int i = 0; i <= DIRTYSCOPE_DROP_MAX; i++)
		n += d[i];
	return n;
}

int run_round(struct ring_guest *g, struct round *r)
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

bool vm_of(struct nl *nl, struct ring_guest *g, struct vm_info *out)
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
	for (deadline = now_ms() + QUEUED_WORK_LIMIT_MS; !r && !vm_of(&t->nl, g, &st) &&
	     now_ms() < deadline;)
		usleep(20000);
	r = r || !vm_of(&t->nl, g, &st);
	CHECK(!r && !strcmp(st.name, want) &&
	      st.drops[DIRTYSCOPE_DROP_PENDING_EVENTS] == st.drops[DIRTYSCOPE_DROP_EVENTS] &&
	      st.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] + st.drops[DIRTYSCOPE_DROP_EVENTS] >= rd.pushes,
	      "fault/no_name: VM named %s from its fd (want %s); %llu pending events, all its drops",
	      st.name, want, (unsigned long long)st.drops[DIRTYSCOPE_DROP_PENDING_EVENTS]);
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
	cases_notify(t, &g);
	case_thread_churn(t, &g);
	case_reset_generation(t, &g);
	ring_guest_destroy(&g);
}
