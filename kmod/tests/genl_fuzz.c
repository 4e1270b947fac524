// SPDX-License-Identifier: GPL-2.0
/*
 * genl_fuzz: random and malformed generic netlink messages against
 * dirtyscope.ko.
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
 *
 * Files: this one (main, the final checks), genl_fuzz.h, genl_fuzz_attrs.c,
 * genl_fuzz_shapes.c, genl_fuzz_phase.c.
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

#include "genl_fuzz.h"
#include "host_util.h"
#include "kmsg_check.h"
#include "ktap.h"
#include "module_view.h"
#include "owned_vm.h"
#include "ring_guest.h"
#include "stats_client.h"

#define PLAN 8

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

/*
 * How long the module may take to free the fuzzer's VMs: each destroy waits
 * for RCU and SRCU grace periods and frees up to DIRTYSCOPE_SPP_MAX_PAGES
 * SPP pages, which under KASAN and kmemleak takes seconds. A state to wait
 * for, not a speed to assert: generous, and the time it took is printed.
 * The three waits together (180 s) stay below the harness's limit for this
 * program (vm/churn-test.sh: 300 s), so a leak fails here, with the counts,
 * instead of as a killed program.
 */
#define TEARDOWN_LIMIT_MS 60000

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
	t0 = now_ms();
	after = wait_live_allocations(base, TEARDOWN_LIMIT_MS);
	diag("live allocations %" PRId64 " after %" PRIu64 " ms of a %d ms limit", after,
	     now_ms() - t0, TEARDOWN_LIMIT_MS);
	CHECK(after == base && wait_vm_dropped(&nl, mine.name, TEARDOWN_LIMIT_MS) &&
	      wait_vm_dropped(&nl, ov.name, TEARDOWN_LIMIT_MS),
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
