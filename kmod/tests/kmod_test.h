/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dirtyscope_kmod_test's cases, grouped by topic, sharing one context.
 * main() (dirtyscope_kmod_test.c) runs them in a fixed order; the KTAP
 * numbering follows from that order.
 */
#ifndef DIRTYSCOPE_TESTS_KMOD_TEST_H
#define DIRTYSCOPE_TESTS_KMOD_TEST_H

#include "genl_client.h"
#include "ring_guest.h"
#include "stats_client.h"

#define KMOD_TEST_PLAN 71
/* Results cases_teardown() prints: the last ones of the plan. */
#define KMOD_TEARDOWN_CHECKS 3

struct kmod_test {
	const char *ko;		/* module path for the reload checks, or NULL */
	unsigned int flood_ms;	/* how long the VM owner resets its rings in a loop */
	struct nl nl;		/* requests */
	struct nl evnl;		/* member of the events group */
	struct ring_guest g;
	char name[64];		/* "<pid>-<vm fd>" */
	struct vm_info st;	/* GET_STATS after the rounds */
	/* debugfs allocations' live before this test's VM was tracked */
	long long live_base;
};

/* cases_module.c: module, debugfs, family. False: bail out. */
bool cases_module(struct kmod_test *t);
/* cases_counters.c: run the guest, compare every counter and event. */
void cases_counters(struct kmod_test *t);
/*
 * cases_drops.c: drops counted by reason under faults (max_vms, debugfs
 * fault/ knobs, a tiny listener); ring notifications under a reset flood
 * and a lowered rate limit; thread churn past the attribution table; the
 * reset generation seen by a second reader.
 */
void cases_drops(struct kmod_test *t);
/*
 * What the guest did in one round, from its own harvest; notified: the
 * ring notifications it causes (resets that recycled entries, full exits).
 */
struct round {
	uint64_t pushes, resets, full, notified;
};
int run_round(struct ring_guest *g, struct round *r);
/* GET_STATS of a guest's VM by its pid and fd: true on success. */
bool vm_of(struct nl *nl, struct ring_guest *g, struct vm_info *out);
/*
 * cases_notify.c, called by cases_drops(): the reset flood as an
 * unprivileged VM owner; then, on a second guest, a listener's lost
 * copies with and without NETLINK_BROADCAST_ERROR and the rate limit.
 */
void case_reset_flood(struct kmod_test *t);
void cases_notify(struct kmod_test *t, struct ring_guest *g);
/*
 * cases_requests.c: malformed requests, unknown VM, RESET_STATS rights,
 * GET_STATS of a VM too big for one reply.
 */
void cases_requests(struct kmod_test *t);
/*
 * cases_permissions.c: VMs of three users; who lists, reads, resets,
 * listens; a VM at a dead VM's key is a new VM.
 */
void cases_permissions(struct kmod_test *t);
/*
 * cases_lifecycle.c: a burst of teardowns, a same-process VM at a dead
 * VM's key, rmmod/insmod under the VM, then VM teardown.
 */
void cases_teardown_burst(struct kmod_test *t);
void cases_same_process_stale(struct kmod_test *t);
void cases_reload(struct kmod_test *t);
void cases_teardown(struct kmod_test *t);

#endif
