// SPDX-License-Identifier: GPL-2.0
/*
 * spp_kmod_test: registrations die with the module (rmmod while the VM
 * runs) and with the VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_util.h"
#include "ktap.h"
#include "module_view.h"
#include "spp_test.h"
#include "stats_client.h"

void spp_cases_reload(struct spp_test *t)
{
	static const uint32_t none_on_page0[] = { 0, DIRTYSCOPE_SPP_FULL_ACCESS };
	struct spp_page p0, p1;
	struct vm_info st;
	char cmd[256];
	int r;

	if (!t->ko) {
		ktap_skip_to(SPP_TEST_PLAN - 1, "no module path given", "reload checks");
		return;
	}
	/* Pages are registered now: unloading must free them (kmemleak, dmesg). */
	close(t->nl.fd);
	close(t->evnl.fd);
	t->evnl.fd = -1;
	r = system("rmmod dirtyscope");
	snprintf(cmd, sizeof(cmd), "insmod %s", t->ko);
	r = r ?: system(cmd);
	CHECK(r == 0 && module_loaded(), "rmmod + insmod with SPP pages registered");

	/* The reloaded module learns the VM again, with nothing registered. */
	r = nl_open(&t->nl) ?: nl_resolve(&t->nl) ?: spp_guest_round(&t->g) ?:
	    get_stats_by_name(&t->nl, getpid(), t->g.mg.vm, &st);
	t->sel.id = st.id;
	CHECK(!r && st.total[DIRTYSCOPE_STAT_SPP_ALLOWED] == 0 &&
	      st.total[DIRTYSCOPE_STAT_SPP_DENIED] == 0 &&
	      !spp_get(&t->nl, t->sel, SPP_GUEST_GFN0, &p0) &&
	      !spp_get(&t->nl, t->sel, SPP_GUEST_GFN0 + 1, &p1) &&
	      p0.vector == DIRTYSCOPE_SPP_FULL_ACCESS &&
	      p1.vector == DIRTYSCOPE_SPP_FULL_ACCESS,
	      "reloaded module finds the VM with no SPP pages and zero totals");
	/* Something registered again, for the teardown to free. */
	memset(t->page, 0, sizeof(t->page));
	t->allowed = t->denied = 0;
	spp_test_set(t, none_on_page0);
}

void spp_cases_teardown(struct spp_test *t)
{
	uint64_t id = t->sel.id;
	struct spp_page page;
	const char *no_hook;

	spp_guest_destroy(&t->g);
	no_hook = teardown_left_out();
	if (no_hook) {
		SKIP(no_hook, "VM destroyed: its state and SPP pages are gone (SPP_GET: ENOENT)");
		return;
	}
	CHECK(wait_vm_dropped(&t->nl, t->name, QUEUED_WORK_LIMIT_MS) &&
	      spp_get(&t->nl, (struct vm_sel){ .id = id }, SPP_GUEST_GFN0, &page) == -ENOENT,
	      "VM destroyed: its state and SPP pages are gone (SPP_GET: ENOENT)");
}
