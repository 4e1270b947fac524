// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope_kmod_test: the module reloaded under a running VM finds and
 * counts it; a destroyed VM leaves nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_util.h"
#include "kmod_test.h"
#include "ktap.h"
#include "module_view.h"

void cases_reload(struct kmod_test *t)
{
	struct ring_guest *g = &t->g;
	struct allocations a;
	char cmd[256];
	int r;

	if (!t->ko) {
		ktap_skip_to(KMOD_TEST_PLAN - KMOD_TEARDOWN_CHECKS,
			     "no module path given", "reload checks");
		return;
	}
	close(t->nl.fd);
	close(t->evnl.fd);
	t->evnl.fd = -1;
	r = system("rmmod dirtyscope");
	CHECK(r == 0 && !module_loaded(), "rmmod while the VM is alive");
	snprintf(cmd, sizeof(cmd), "insmod %s", t->ko);
	r = system(cmd);
	CHECK(r == 0 && module_loaded(), "insmod again with the VM alive");
	/* A new module counts from zero; the VM is not tracked until it runs. */
	t->live_base = read_allocations(&a) ? a.live : 0;
	g->harvested = g->reset_ioctls = 0;
	r = nl_open(&t->nl) ?: nl_resolve(&t->nl) ?: ring_guest_round(g);
	CHECK(!r && !get_stats_by_name(&t->nl, getpid(), g->mg.vm, &t->st) &&
	      !strcmp(t->st.name, t->name) &&
	      t->st.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] == g->harvested &&
	      t->st.vcpu0[DIRTYSCOPE_STAT_RING_RESETS] == g->reset_ioctls,
	      "reloaded module finds the running VM as %s and counts it", t->name);
}

void cases_teardown(struct kmod_test *t)
{
	struct allocations a = { 0 };
	bool read;
	long long live;

	/* The twin of the check below: a tracked VM holds memory. */
	read = read_allocations(&a);
	CHECK(read && a.live > t->live_base,
	      "allocations: live %lld above the baseline %lld while the VM is tracked",
	      a.live, t->live_base);
	ring_guest_destroy(&t->g);
	CHECK(wait_vm_dropped(&t->nl, t->name, 3000),
	      "VM state is dropped when the VM is destroyed");
	live = wait_live_allocations(t->live_base, 3000);
	CHECK(live == t->live_base,
	      "allocations: live back to the baseline %lld after the VM is destroyed (%lld)",
	      t->live_base, live);
}
