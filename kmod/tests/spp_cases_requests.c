// SPDX-License-Identifier: GPL-2.0
/*
 * spp_kmod_test: the capability file, requests the module must refuse,
 * the per-VM page limit, and who may use SPP (admin or the VM's owner).
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_util.h"
#include "ktap.h"
#include "module_view.h"
#include "spp_test.h"

#define FAR_GFN 0x100000ULL	/* far from the guest's pages */

void spp_cases_capability(void)
{
	static char buf[4096], cpuinfo[1 << 16];
	const char *path = DEBUGFS "/spp/capability";
	bool vmx = read_file("/proc/cpuinfo", cpuinfo, sizeof(cpuinfo)) > 0 &&
		   strstr(cpuinfo, " vmx");
	const char *model = "model: available (read-only memslots + KVM_EXIT_MMIO)\n";
	struct stat sb;
	bool ok;

	ok = !stat(path, &sb) && (sb.st_mode & 0777) == 0444 &&
	     read_file(path, buf, sizeof(buf)) > 0;
#if defined(__aarch64__)
	(void)vmx;
	{
		const char *hw = "hardware: absent: not x86 (SPP is an Intel VMX feature)\n";

		ok = ok && !strncmp(buf, hw, strlen(hw)) && !strcmp(buf + strlen(hw), model);
	}
	if (!ok)
		diag("%s:\n%s", path, buf);
	CHECK(ok, "spp/capability (0444): hardware: absent: not x86; model: available");
	return;
#endif
	if (vmx)	/* Either answer is possible; only the form is checked. */
		ok = ok && (!strncmp(buf, "hardware: present\n", 18) ||
			    (!strncmp(buf, "hardware: absent: ", 18) &&
			     !strstr(buf, "no VMX"))) && strstr(buf, model);
	else
		ok = ok && !strncmp(buf, "hardware: absent: no VMX\n", 25) &&
		     !strcmp(buf + 25, model);
	if (!ok)
		diag("%s:\n%s", path, buf);
	CHECK(ok, "spp/capability (0444): %s", vmx ? "VMX host, well-formed" :
	      "hardware: absent: no VMX; model: available");
}

/* A request with only the attributes named by mask; values are valid. */
enum { A_SEL = 1, A_GFN = 2, A_NPAGES = 4, A_VECTOR = 8 };

static int spp_request(struct spp_test *t, uint8_t cmd, int mask,
		       void (*extra)(struct msg *m))
{
	uint64_t gfn = SPP_GUEST_GFN0;
	uint32_t npages = 1, vector = 0;
	struct msg m;

	msg_init(&m, t->nl.family, 0, cmd, 1);
	if (mask & A_SEL)
		msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &t->sel.id, sizeof(t->sel.id));
	if (mask & A_GFN)
		msg_put(&m, DIRTYSCOPE_ATTR_SPP_GFN, &gfn, sizeof(gfn));
	if (mask & A_NPAGES)
		msg_put(&m, DIRTYSCOPE_ATTR_SPP_NPAGES, &npages, sizeof(npages));
	if (mask & A_VECTOR)
		msg_put(&m, DIRTYSCOPE_ATTR_SPP_VECTOR, &vector, sizeof(vector));
	if (extra)
		extra(&m);
	return nl_transact(&t->nl, &m, NULL, NULL);
}

static void put_npages_0(struct msg *m)
{
	uint32_t v = 0;

	msg_put(m, DIRTYSCOPE_ATTR_SPP_NPAGES, &v, sizeof(v));
}

static void put_npages_too_many(struct msg *m)
{
	uint32_t v = DIRTYSCOPE_SPP_MAX_PAGES + 1;

	msg_put(m, DIRTYSCOPE_ATTR_SPP_NPAGES, &v, sizeof(v));
}

static void put_gfn_u32(struct msg *m)
{
	uint32_t v = SPP_GUEST_GFN0;

	msg_put(m, DIRTYSCOPE_ATTR_SPP_GFN, &v, sizeof(v));
}

static void put_allowed(struct msg *m)
{
	uint64_t v = 1;

	msg_put(m, DIRTYSCOPE_ATTR_SPP_ALLOWED, &v, sizeof(v));
}

static void put_npages_1(struct msg *m)
{
	uint32_t v = 1;

	msg_put(m, DIRTYSCOPE_ATTR_SPP_NPAGES, &v, sizeof(v));
}

static int registered_pages(struct spp_test *t)
{
	static struct spp_page pages[16];
	int n = -1;

	return spp_dump(&t->nl, t->sel, pages, 16, &n) ? -1 : n;
}

void spp_cases_requests(struct spp_test *t)
{
	const int all = A_SEL | A_GFN | A_NPAGES | A_VECTOR;
	const uint8_t set = DIRTYSCOPE_CMD_SPP_SET, get = DIRTYSCOPE_CMD_SPP_GET;
	struct vm_sel unknown = { .id = t->sel.id + 1000 };
	struct spp_page page;
	int before, r;

	CHECK(spp_request(t, set, all & ~A_SEL, NULL) == -EINVAL,
	      "SPP_SET without a VM selector: EINVAL");
	CHECK(spp_request(t, set, all & ~A_VECTOR, NULL) == -EINVAL &&
	      spp_request(t, set, all & ~A_GFN, NULL) == -EINVAL &&
	      spp_request(t, set, all & ~A_NPAGES, NULL) == -EINVAL,
	      "SPP_SET without SPP_VECTOR, SPP_GFN or SPP_NPAGES: EINVAL");
	CHECK(spp_request(t, set, all & ~A_NPAGES, put_npages_0) == -ERANGE &&
	      spp_request(t, set, all & ~A_NPAGES, put_npages_too_many) == -ERANGE,
	      "SPP_NPAGES 0 or above %d: ERANGE", DIRTYSCOPE_SPP_MAX_PAGES);
	r = spp_request(t, set, all & ~A_GFN, put_gfn_u32);
	CHECK(r == -EINVAL || r == -ERANGE, "SPP_GFN with a u32 payload rejected (%d)", r);
	CHECK(spp_set(&t->nl, t->sel, (1ULL << 40) - 1, 2, 0) == -ERANGE &&
	      spp_set(&t->nl, t->sel, UINT64_MAX, 1, 0) == -ERANGE,
	      "SPP_GFN + SPP_NPAGES past the 52-bit address space: ERANGE");
	CHECK(spp_request(t, set, all, put_allowed) == -EINVAL &&
	      spp_request(t, get, A_SEL | A_GFN, put_npages_1) == -EINVAL,
	      "reply-only SPP_ALLOWED, or SPP_NPAGES in SPP_GET: EINVAL");
	CHECK(spp_set(&t->nl, unknown, SPP_GUEST_GFN0, 1, 0) == -ENOENT &&
	      spp_get(&t->nl, unknown, SPP_GUEST_GFN0, &page) == -ENOENT,
	      "SPP_SET/SPP_GET of an unknown VM: ENOENT");

	before = registered_pages(t);
	r = spp_set(&t->nl, t->sel, FAR_GFN, DIRTYSCOPE_SPP_MAX_PAGES, 0);
	CHECK(before >= 1 && r == -ENOSPC && registered_pages(t) == before &&
	      !spp_get(&t->nl, t->sel, FAR_GFN, &page) &&
	      page.vector == DIRTYSCOPE_SPP_FULL_ACCESS,
	      "%d more pages than the limit allows: ENOSPC, nothing registered",
	      DIRTYSCOPE_SPP_MAX_PAGES);
	r = spp_set(&t->nl, t->sel, FAR_GFN, DIRTYSCOPE_SPP_MAX_PAGES - before, 0x1234);
	CHECK(!r && spp_set(&t->nl, t->sel, FAR_GFN - 1, 1, 0) == -ENOSPC &&
	      !spp_get(&t->nl, t->sel, FAR_GFN + 7, &page) && page.vector == 0x1234 &&
	      !spp_set(&t->nl, t->sel, FAR_GFN, DIRTYSCOPE_SPP_MAX_PAGES - before,
		       DIRTYSCOPE_SPP_FULL_ACCESS) &&
	      registered_pages(t) == before,
	      "up to exactly %d pages, one more ENOSPC; full access unregisters them",
	      DIRTYSCOPE_SPP_MAX_PAGES);
}

/* Children's requests; each returns the positive errno (0: success). */
static struct spp_test *child_t;

/* A user other than nobody, given CAP_PERFMON. */
#define PERFMON_UID 1000

static int set_as_child(void *unused)
{
	struct nl nl = { 0 };

	(void)unused;
	if (nl_open(&nl) || nl_resolve(&nl))
		return 101;
	return -spp_set(&nl, child_t->sel, SPP_GUEST_GFN0, 1, 0);
}

static int get_as_child(void *unused)
{
	struct spp_page page;
	struct nl nl = { 0 };
	int n, get_r, dump_r;

	(void)unused;
	if (nl_open(&nl) || nl_resolve(&nl))
		return 101;
	get_r = -spp_get(&nl, child_t->sel, SPP_GUEST_GFN0, &page);
	dump_r = -spp_dump(&nl, child_t->sel, &page, 1, &n);
	/* The do and the dump must refuse alike; 99 when they differ. */
	return get_r == dump_r ? get_r : 99;
}

/*
 * As nobody: a VM of its own on root's /dev/kvm fd. The module sees it
 * first in nobody's thread, so nobody owns it and may register and read
 * its pages, and the counts must follow.
 */
static int owner_child(void *arg)
{
	uint32_t vector = 0x0f0f0f0f;
	const char *why = NULL;
	struct spp_page page;
	struct spp_guest g;
	struct nl nl = { 0 };
	struct vm_sel sel;
	uint64_t allowed = 0, denied = 0;
	int r;

	if (spp_guest_create(&g, *(int *)arg, &why) || spp_guest_round(&g)) {
		diag("owner child: %s", why ? why : "first round failed");
		return 102;
	}
	if (nl_open(&nl) || nl_resolve(&nl))
		return 101;
	sel = (struct vm_sel){ .pid = getpid(), .fd = g.mg.vm };
	r = spp_set(&nl, sel, SPP_GUEST_GFN0, 1, vector);
	if (r)
		return -r;
	g.vector[0] = vector;
	if (spp_guest_round(&g))
		return 103;
	for (int i = 0; i < g.nexits; i++)
		if (g.exits[i].gpa < SPP_GUEST_GPA + 4096) {
			allowed += g.exits[i].allowed;
			denied += !g.exits[i].allowed;
		}
	r = spp_get(&nl, sel, SPP_GUEST_GFN0, &page);
	if (r)
		return -r;
	if (page.vector != vector || page.allowed != allowed || page.denied != denied) {
		diag("owner child: module vector 0x%08x %llu/%llu, userspace %llu/%llu",
		     page.vector, (unsigned long long)page.allowed,
		     (unsigned long long)page.denied, (unsigned long long)allowed,
		     (unsigned long long)denied);
		return 104;
	}
	spp_guest_destroy(&g);
	return 0;
}

void spp_cases_permissions(struct spp_test *t)
{
	int set_r, get_r, r;

	child_t = t;
	set_r = run_as(NOBODY_UID, NOBODY_GID, set_as_child, NULL);
	get_r = run_as(NOBODY_UID, NOBODY_GID, get_as_child, NULL);
	/* nobody may not see root's VM: it answers as if it did not exist. */
	CHECK(set_r == ENOENT && get_r == ENOENT,
	      "SPP_SET/SPP_GET/dump as nobody on root's VM: ENOENT (got %d, %d)",
	      set_r, get_r);
	/* CAP_PERFMON sees root's VM, so reads it, but may not change it. */
	set_r = run_as_caps(PERFMON_UID, PERFMON_UID, 1ULL << CAP_PERFMON,
			    set_as_child, NULL);
	get_r = run_as_caps(PERFMON_UID, PERFMON_UID, 1ULL << CAP_PERFMON,
			    get_as_child, NULL);
	CHECK(set_r == EPERM && get_r == 0,
	      "uid 1000 with CAP_PERFMON on root's VM: SPP_SET EPERM, SPP_GET/dump read (got %d, %d)",
	      set_r, get_r);
	r = run_as(NOBODY_UID, NOBODY_GID, owner_child, &t->g.mg.kvm);
	CHECK(r == 0, "nobody's own VM: nobody may SPP_SET and SPP_GET it, counts match (got %d)",
	      r);
}
