// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope_kmod_test: the guest runs ROUNDS passes; the module's
 * counters, listings and events must equal what userspace harvested.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_util.h"
#include "kmod_test.h"
#include "ktap.h"
#include "module_view.h"

#define ROUNDS 2
#define NPAGES RING_GUEST_NPAGES
#define RING_ENTRIES RING_GUEST_ENTRIES

/* PML logs dirty pages without page faults: only VMX has it. */
static bool host_may_use_pml(void)
{
	static char buf[1 << 16];

	return read_file("/proc/cpuinfo", buf, sizeof(buf)) > 0 &&
	       strstr(buf, " vmx") != NULL;
}

static void check_listed(struct kmod_test *t)
{
	static char buf[1 << 16];
	static struct vm_list list;
	char path[256];
	struct stat sb;

	CHECK(list_vms(&t->nl, &list) == 0 && find_vm(&list, t->name),
	      "LIST_VMS lists VM %s", t->name);
	snprintf(path, sizeof(path), DEBUGFS "/%s/stats", t->name);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0400 &&
	      read_file(path, buf, sizeof(buf)) > 0 && strstr(buf, "total "),
	      "debugfs %s/stats exists, mode 0400, readable", t->name);
	CHECK(file_lists_name(DEBUGFS "/vms", t->name), "debugfs vms lists %s",
	      t->name);
}

static void check_counters(struct kmod_test *t, bool pml)
{
	const struct ring_guest *g = &t->g;
	const uint64_t *vc = t->st.vcpu0;

	CHECK(vc[DIRTYSCOPE_STAT_RING_PUSHES] == g->harvested &&
	      t->st.total[DIRTYSCOPE_STAT_RING_PUSHES] == g->harvested,
	      "ring pushes equal entries harvested");
	CHECK(vc[DIRTYSCOPE_STAT_RING_RESETS] == g->reset_ioctls,
	      "ring resets equal KVM_RESET_DIRTY_RINGS calls");
	CHECK(vc[DIRTYSCOPE_STAT_RING_RESET_ENTRIES] == g->harvested,
	      "reset entries equal entries harvested");
	CHECK(g->full_exits > 0 &&
	      vc[DIRTYSCOPE_STAT_RING_FULL_EXITS] == g->full_exits,
	      "ring-full exits equal KVM_EXIT_DIRTY_RING_FULL seen");
	CHECK(vc[DIRTYSCOPE_STAT_RING_SIZE] == RING_ENTRIES,
	      "ring size is %d entries", RING_ENTRIES);
	CHECK(vc[DIRTYSCOPE_STAT_RING_HIGH_WATER] == g->max_batch,
	      "ring high-water equals the largest harvest");
	if (pml)
		SKIP("PML logs dirty pages without faults", "page faults cover dirtied pages");
	else
		CHECK(vc[DIRTYSCOPE_STAT_PAGE_FAULTS] >= g->harvested,
		      "page faults cover dirtied pages");
	CHECK(vc[DIRTYSCOPE_STAT_SET_SPTE] > 0 &&
	      vc[DIRTYSCOPE_STAT_SET_SPTE_WRITABLE] > 0,
	      "set_spte attributed to the vCPU");
}

void cases_counters(struct kmod_test *t)
{
	bool pml = host_may_use_pml();
	struct ring_guest *g = &t->g;
	const uint64_t *vc = t->st.vcpu0;
	struct ring_events ev = { 0 };
	struct vm_info st2;
	int r = 0;

	for (int i = 0; i < ROUNDS && !r; i++)
		r = ring_guest_round(g);
	CHECK(!r && !g->bad_entries,
	      "guest dirtied %d pages x %d rounds, all harvested (%llu entries, %llu full exits)",
	      NPAGES, ROUNDS, (unsigned long long)g->harvested,
	      (unsigned long long)g->full_exits);

	check_listed(t);

	r = get_stats_by_name(&t->nl, getpid(), g->mg.vm, &t->st);
	CHECK(!r && t->st.nr_vcpus == 1 && t->st.vcpu_nests == 1 &&
	      t->st.have_unattributed && !strcmp(t->st.name, t->name),
	      "GET_STATS by pid+fd: one vCPU (err %d)", r);
	diag("module: pushes %llu resets %llu reset_entries %llu full %llu faults %llu set_spte %llu/%llu hwm %llu",
	     (unsigned long long)vc[DIRTYSCOPE_STAT_RING_PUSHES],
	     (unsigned long long)vc[DIRTYSCOPE_STAT_RING_RESETS],
	     (unsigned long long)vc[DIRTYSCOPE_STAT_RING_RESET_ENTRIES],
	     (unsigned long long)vc[DIRTYSCOPE_STAT_RING_FULL_EXITS],
	     (unsigned long long)vc[DIRTYSCOPE_STAT_PAGE_FAULTS],
	     (unsigned long long)vc[DIRTYSCOPE_STAT_SET_SPTE],
	     (unsigned long long)vc[DIRTYSCOPE_STAT_SET_SPTE_WRITABLE],
	     (unsigned long long)vc[DIRTYSCOPE_STAT_RING_HIGH_WATER]);
	diag("userspace: harvested %llu reset ioctls %llu full exits %llu max batch %llu",
	     (unsigned long long)g->harvested, (unsigned long long)g->reset_ioctls,
	     (unsigned long long)g->full_exits, (unsigned long long)g->max_batch);

	check_counters(t, pml);

	ev.vm_id = t->st.id;
	drain_ring_events(t->evnl.fd, &ev);
	CHECK(ev.reset == (int)g->nonempty_resets && ev.full == (int)g->full_exits &&
	      ev.reset_entries == g->harvested,
	      "events group: %d resets, %d ring-full", ev.reset, ev.full);

	r = get_stats_by_id(&t->nl, t->st.id, &st2);
	CHECK(!r && st2.id == t->st.id && !strcmp(st2.name, t->name) &&
	      st2.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] == g->harvested,
	      "GET_STATS by VM_ID matches");
}
