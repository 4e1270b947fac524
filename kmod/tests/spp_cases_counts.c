// SPDX-License-Identifier: GPL-2.0
/*
 * spp_kmod_test: the guest's stores under several vectors. Userspace
 * judges every KVM_EXIT_MMIO itself; the module's per-page counts, VM
 * totals, debugfs views and SPP_DENIED events must equal its decisions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_util.h"
#include "ktap.h"
#include "module_view.h"
#include "spp_test.h"
#include "stats_client.h"

int spp_test_set(struct spp_test *t, const uint32_t vector[SPP_GUEST_PAGES])
{
	for (int p = 0; p < SPP_GUEST_PAGES; p++) {
		struct spp_expect_page *e = &t->page[p];
		int r = spp_set(&t->nl, t->sel, SPP_GUEST_GFN0 + p, 1, vector[p]);

		if (r) {
			diag("SPP_SET page %d vector 0x%08x: %s", p, vector[p],
			     strerror(-r));
			return r;
		}
		/* The module's rule: full access forgets the page's counts. */
		if (vector[p] == DIRTYSCOPE_SPP_FULL_ACCESS)
			memset(e, 0, sizeof(*e));
		else
			e->registered = true;
		e->vector = vector[p];
		t->g.vector[p] = vector[p];
	}
	return 0;
}

/* Folds the round's exits into the expectations; returns denied exits. */
static int account_round(struct spp_test *t, struct spp_exit **denied)
{
	static struct spp_exit list[SPP_GUEST_MAX_EXITS];
	int n = 0;

	for (int i = 0; i < t->g.nexits; i++) {
		struct spp_exit *x = &t->g.exits[i];
		struct spp_expect_page *e =
			&t->page[(x->gpa - SPP_GUEST_GPA) / 4096];

		if (!x->registered)
			continue;
		if (x->allowed) {
			e->allowed++;
			t->allowed++;
		} else {
			e->denied++;
			t->denied++;
			list[n++] = *x;
		}
	}
	*denied = list;
	return n;
}

static bool pages_match(struct spp_test *t)
{
	bool ok = true;

	for (int p = 0; p < SPP_GUEST_PAGES; p++) {
		const struct spp_expect_page *e = &t->page[p];
		struct spp_page got;
		int r = spp_get(&t->nl, t->sel, SPP_GUEST_GFN0 + p, &got);
		uint32_t vector = e->registered ? e->vector : DIRTYSCOPE_SPP_FULL_ACCESS;

		if (r || got.attrs != 4 || got.gfn != SPP_GUEST_GFN0 + (uint64_t)p ||
		    got.vector != vector || got.allowed != e->allowed ||
		    got.denied != e->denied) {
			diag("page %d: module vector 0x%08x allowed %" PRIu64 " denied %" PRIu64
			     " (err %d); userspace 0x%08x %" PRIu64 " %" PRIu64, p,
			     got.vector, got.allowed, got.denied, r, vector,
			     e->allowed, e->denied);
			ok = false;
		}
	}
	return ok;
}

static bool totals_match(struct spp_test *t)
{
	struct vm_info st;
	int r = get_stats_by_id(&t->nl, t->sel.id, &st);
	const uint64_t *v = st.total;

	diag("VM totals: module allowed %" PRIu64 " denied %" PRIu64 " dropped %" PRIu64
	     "; userspace allowed %" PRIu64 " denied %" PRIu64,
	     v[DIRTYSCOPE_STAT_SPP_ALLOWED], v[DIRTYSCOPE_STAT_SPP_DENIED],
	     v[DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED], t->allowed, t->denied);
	return !r && v[DIRTYSCOPE_STAT_SPP_ALLOWED] == t->allowed &&
	       v[DIRTYSCOPE_STAT_SPP_DENIED] == t->denied &&
	       v[DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED] == 0;
}

static bool events_match(struct spp_test *t, const struct spp_exit *denied,
			 int ndenied)
{
	static struct spp_events evs;

	memset(&evs, 0, sizeof(evs));
	evs.vm_id = t->sel.id;
	drain_spp_events(t->evnl.fd, &evs);
	if (evs.n != ndenied || evs.lost) {
		diag("%d SPP_DENIED events (%d lost), %d denied exits", evs.n,
		     evs.lost, ndenied);
		return false;
	}
	for (int i = 0; i < ndenied; i++) {
		const struct spp_event *e = &evs.ev[i];

		if (e->gpa != denied[i].gpa || e->len != denied[i].len ||
		    e->value != denied[i].value || e->vcpu != 0) {
			diag("event %d: gpa 0x%" PRIx64 " len %u value 0x%" PRIx64
			     " vcpu %u; exit: gpa 0x%" PRIx64 " len %u value 0x%" PRIx64,
			     i, e->gpa, e->len, e->value, e->vcpu, denied[i].gpa,
			     denied[i].len, denied[i].value);
			return false;
		}
	}
	return true;
}

/* One round under vector[]: 3 results. */
static void vector_round(struct spp_test *t, const char *what,
			 const uint32_t vector[SPP_GUEST_PAGES])
{
	struct spp_exit *denied;
	int r, ndenied;

	r = spp_test_set(t, vector) ?: spp_guest_round(&t->g);
	ndenied = r ? 0 : account_round(t, &denied);
	diag("%s (0x%08x 0x%08x): %d exits, %d denied", what, vector[0],
	     vector[1], t->g.nexits, ndenied);
	CHECK(!r && pages_match(t), "%s: per-page counts equal userspace's", what);
	CHECK(!r && totals_match(t), "%s: VM totals equal userspace's, none dropped", what);
	CHECK(!r && events_match(t, denied, ndenied),
	      "%s: one SPP_DENIED event per denied exit, same gpa/len/value", what);
}

static uint32_t next_random(uint64_t *s)
{
	/* xorshift64*: enough for a vector, repeatable from the seed. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 0x2545f4914f6cdd1dULL) >> 32);
}

static bool debugfs_views_match(struct spp_test *t)
{
	static char buf[1 << 16], want[4096];
	char path[256];
	struct stat sb;
	size_t n = 0;

	for (int p = 0; p < SPP_GUEST_PAGES; p++)
		if (t->page[p].registered)
			n += snprintf(want + n, sizeof(want) - n,
				      "gfn 0x%x vector 0x%08x allowed %" PRIu64 " denied %" PRIu64 "\n",
				      SPP_GUEST_GFN0 + p, t->page[p].vector,
				      t->page[p].allowed, t->page[p].denied);
	snprintf(path, sizeof(path), DEBUGFS "/%s/spp", t->name);
	if (stat(path, &sb) || (sb.st_mode & 0777) != 0400 ||
	    read_file(path, buf, sizeof(buf)) < 0 || strcmp(buf, want)) {
		diag("%s:\n%s# expected:\n%s", path, buf, want);
		return false;
	}
	return true;
}

static bool stats_file_matches(struct spp_test *t)
{
	static char buf[1 << 16];
	char path[256], want[128];

	snprintf(path, sizeof(path), DEBUGFS "/%s/stats", t->name);
	snprintf(want, sizeof(want), "spp_allowed %" PRIu64 "\nspp_denied %" PRIu64
		 "\nspp_events_dropped 0\n", t->allowed, t->denied);
	return read_file(path, buf, sizeof(buf)) > 0 && strstr(buf, want);
}

static bool dump_matches(struct spp_test *t)
{
	struct spp_page pages[8];
	int n = 0, want = 0, r = spp_dump(&t->nl, t->sel, pages, 8, &n);

	for (int p = 0; p < SPP_GUEST_PAGES; p++) {
		const struct spp_expect_page *e = &t->page[p];

		if (!e->registered)
			continue;
		if (want >= n || pages[want].gfn != SPP_GUEST_GFN0 + (uint64_t)p ||
		    pages[want].vector != e->vector ||
		    pages[want].allowed != e->allowed ||
		    pages[want].denied != e->denied)
			return false;
		want++;
	}
	if (r || n != want)
		diag("dump: %d pages (err %d), %d registered", n, r, want);
	return !r && n == want;
}

/*
 * RESET_STATS of the VM zeroes its SPP totals and every page's counts
 * (vectors stay), as it does its other counters; later rounds count from
 * zero.
 */
static void reset_round(struct spp_test *t)
{
	uint64_t before = t->allowed + t->denied;
	int r = reset_stats(&t->nl, t->sel.id);

	t->allowed = t->denied = 0;
	for (int p = 0; p < SPP_GUEST_PAGES; p++)
		t->page[p].allowed = t->page[p].denied = 0;
	CHECK(before > 0 && !r && pages_match(t) && totals_match(t),
	      "RESET_STATS of the VM zeroes its SPP totals (%" PRIu64 " before) and page counts",
	      before);
}

void spp_cases_counts(struct spp_test *t)
{
	static const uint32_t full[] = { DIRTYSCOPE_SPP_FULL_ACCESS, DIRTYSCOPE_SPP_FULL_ACCESS };
	static const uint32_t none[] = { 0, 0 };
	static const uint32_t alternating[] = { 0x55555555, 0xaaaaaaaa };
	int by_size[9], straddle, cross, r;
	uint32_t random1[2], random2[2];

	spp_guest_store_mix(by_size, &straddle, &cross);
	/* The module knows a VM once it has exited: only then has it an id. */
	r = spp_guest_round(&t->g);
	if (!r) {
		struct vm_info st;

		r = get_stats_by_name(&t->nl, getpid(), t->g.mg.vm, &st);
		t->sel.id = st.id;
	}
	CHECK(!r && t->g.nexits == spp_guest_expected_exits(),
	      "guest stores %d x1, %d x2, %d x4, %d x8 (%d across sub-pages, %d across pages): %d MMIO exits",
	      by_size[1], by_size[2], by_size[4], by_size[8], straddle, cross,
	      t->g.nexits);
	CHECK(!r && pages_match(t) && totals_match(t),
	      "nothing registered: the module counts nothing");

	vector_round(t, "full access", full);
	vector_round(t, "no access", none);
	vector_round(t, "alternating sub-pages", alternating);
	diag("random vectors from seed %" PRIu64 " (SPP_SEED=N repeats it)", t->seed);
	random1[0] = next_random(&t->seed);
	random1[1] = DIRTYSCOPE_SPP_FULL_ACCESS;
	vector_round(t, "random vector, page 1 unregistered", random1);
	random2[0] = next_random(&t->seed);
	random2[1] = next_random(&t->seed);
	vector_round(t, "random vectors on both pages", random2);

	CHECK(debugfs_views_match(t), "debugfs %s/spp (0400) lists each page's vector and counts",
	      t->name);
	CHECK(dump_matches(t), "SPP_GET dump lists exactly the registered pages");
	CHECK(stats_file_matches(t), "debugfs %s/stats has the SPP totals", t->name);
	reset_round(t);
}
