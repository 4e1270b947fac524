// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope_kmod_test: checks dirtyscope.ko against a VM it drives itself.
 *
 * Prints KTAP; exit code 0 pass, 1 fail, 4 skip (kselftest). Needs root,
 * /dev/kvm and debugfs.
 * Usage: dirtyscope_kmod_test [--flood-ms N] [PATH/dirtyscope.ko]
 * With the module path it also unloads and reloads the module while its
 * VM is alive. --flood-ms: how long the unprivileged VM owner resets its
 * rings at full speed (default 10 000; vm/init.sh shortens the second run
 * of a boot, whose flood would only repeat the first). Built static (raw netlink, no libnl) so the VM harness can
 * drop it into an initramfs.
 *
 * The guest is ring_guest.c (a real-mode loop dirtying pages through a
 * small dirty ring); the cases live in cases_*.c, in the order below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmod_test.h"
#include "ktap.h"

int main(int argc, char **argv)
{
	static struct kmod_test t;
	const char *why = NULL;
	int r;

	t.flood_ms = 10000;
	if (argc > 1 && !strcmp(argv[1], "--flood-ms")) {
		const char *arg = argc > 2 ? argv[2] : "";
		char *end;
		unsigned long ms = strtoul(arg, &end, 10);

		if (!*arg || *end || !ms || ms > 600000) {
			fprintf(stderr, "dirtyscope_kmod_test: --flood-ms '%s': milliseconds, 1 to 600000\n", arg);
			return 2;
		}
		t.flood_ms = ms;
		argv += 2;
		argc -= 2;
	}
	t.ko = argc > 1 ? argv[1] : NULL;
	ktap_header(KMOD_TEST_PLAN);

	if (!cases_module(&t)) {
		printf("# Bail out! no netlink family\n");
		return 1;
	}

	/* Listen for events before the VM runs. */
	r = nl_open_events(&t.evnl, &t.nl);
	if (r)
		diag("events socket: %s", strerror(-r));

	r = ring_guest_create(&t.g, &why);
	if (r) {
		diag("%s: %s", why, strerror(errno));
		if (r == 4) {
			ktap_skip_to(KMOD_TEST_PLAN, why, "VM checks");
			return ktap_exit_code(4);
		}
		printf("# Bail out! %s\n", why);
		return 1;
	}
	snprintf(t.name, sizeof(t.name), "%d-%d", getpid(), t.g.mg.vm);

	cases_counters(&t);
	cases_drops(&t);
	cases_requests(&t);
	cases_permissions(&t);
	cases_same_process_stale(&t);
	cases_teardown_burst(&t);
	cases_reload(&t);
	cases_teardown(&t);

	close(t.nl.fd);
	if (t.evnl.fd > 0)
		close(t.evnl.fd);
	return ktap_exit_code(0);
}
