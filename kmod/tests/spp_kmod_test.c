// SPDX-License-Identifier: GPL-2.0
/*
 * spp_kmod_test: checks dirtyscope.ko's sub-page write protection (SPP)
 * hooks against a VM it drives itself.
 *
 * Prints KTAP; exit code 0 pass, 1 fail, 4 skip (kselftest). Needs root,
 * /dev/kvm and debugfs. Usage: spp_kmod_test [PATH/dirtyscope.ko]; with the
 * module path it also reloads the module while pages are registered.
 * SPP_SEED=N fixes the seed of the random vectors (default: the time).
 *
 * The guest is spp_guest.c; the cases live in spp_cases_*.c, in the order
 * below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host_util.h"
#include "ktap.h"
#include "spp_test.h"

int main(int argc, char **argv)
{
	static struct spp_test t;
	const char *seed = getenv("SPP_SEED");
	const char *why = NULL;
	int r;

	t.ko = argc > 1 ? argv[1] : NULL;
	t.seed = seed ? strtoull(seed, NULL, 0) : (uint64_t)time(NULL);
	t.seed = t.seed ?: 1;		/* xorshift's one fixed point */
	ktap_header(SPP_TEST_PLAN);

	r = nl_open(&t.nl) ?: nl_resolve(&t.nl);
	CHECK(!r && module_loaded() && t.nl.family && t.nl.events_group,
	      "module loaded, genl family %s resolves", DIRTYSCOPE_GENL_NAME);
	if (r || !t.nl.family) {
		diag("cannot talk to the module: %s", strerror(-r));
		printf("# Bail out! no netlink family\n");
		return 1;
	}
	spp_cases_capability();

	/* Listen before the guest runs: every denial must be announced. */
	r = nl_open_events(&t.evnl, &t.nl);
	if (r)
		diag("events socket: %s", strerror(-r));

	r = spp_guest_create(&t.g, -1, &why);
	if (r) {
		diag("%s: %s", why, strerror(errno));
		if (r == 4) {
			ktap_skip_to(SPP_TEST_PLAN, why, "VM checks");
			return ktap_exit_code(4);
		}
		printf("# Bail out! %s\n", why);
		return 1;
	}
	snprintf(t.name, sizeof(t.name), "%d-%d", getpid(), t.g.mg.vm);

	spp_cases_counts(&t);
	spp_cases_requests(&t);
	spp_cases_permissions(&t);
	spp_cases_reload(&t);
	spp_cases_teardown(&t);

	close(t.nl.fd);
	if (t.evnl.fd > 0)
		close(t.evnl.fd);
	return ktap_exit_code(0);
}
