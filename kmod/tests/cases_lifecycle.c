// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope_kmod_test: a burst of VM teardowns does not starve the
 * module's workqueue; a VM at the key of the same process's dead VM is a
 * new VM; the module reloaded under a running VM finds and
 * counts it; a destroyed VM leaves nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_util.h"
#include "kmod_test.h"
#include "ktap.h"
#include "module_view.h"
#include "owned_vm.h"

#define BURST_VMS 32
/* More than the module's pool holds (pool.c): new VMs need its refill. */
#define AFTER_BURST_VMS 12

/* A one-vCPU VM run once; named wait: until its debugfs directory exists. */
static int start_vm(struct kmod_test *t, struct mini_guest *mg, bool named)
{
	const char *why = NULL;
	char path[128];
	struct stat sb;

	if (mini_guest_open_from(mg, t->g.mg.kvm, &why) ||
	    mini_guest_add_done_code(mg, &why) || mini_guest_add_vcpu(mg, &why) ||
	    mini_guest_run(mg) || !mini_guest_done(mg)) {
		diag("burst VM: %s", why ? why : "did not run to its done");
		return -1;
	}
	if (!named)
		return 0;
	/* Its creation work ran, and with it the pool refill queued before. */
	snprintf(path, sizeof(path), DEBUGFS "/%d-%d", getpid(), mg->vm);
	for (uint64_t start = now_ms(); stat(path, &sb); usleep(1000))
		if (now_ms() - start > QUEUED_WORK_LIMIT_MS)
			return -1;
	return 0;
}

/*
 * BURST_VMS VMs, each tracked once the pool is full again, are destroyed
 * at once; AFTER_BURST_VMS new VMs then need the pool refilled while the
 * burst's teardown work is queued: that work must not hold the queue for
 * a grace period per VM, so no VM entry is missing (drop vm_alloc).
 */
void cases_teardown_burst(struct kmod_test *t)
{
	static struct mini_guest vms[BURST_VMS + AFTER_BURST_VMS];
	struct module_info before = { 0 }, after = { 0 };
	int n = 0, r;

	r = get_module(&t->nl, &before);
	for (; n < BURST_VMS && !r; n++)
		r = start_vm(t, &vms[n], true);
	for (int i = 0; i < n; i++)
		mini_guest_close(&vms[i]);
	for (n = BURST_VMS; n < BURST_VMS + AFTER_BURST_VMS && !r; n++)
		r = start_vm(t, &vms[n], false);
	r = r || get_module(&t->nl, &after);
	for (int i = BURST_VMS; i < n; i++)
		mini_guest_close(&vms[i]);
	CHECK(!r && after.drops[DIRTYSCOPE_DROP_VM_ALLOC] ==
			    before.drops[DIRTYSCOPE_DROP_VM_ALLOC],
	      "%d VMs torn down at once, then %d new ones: no VM entry missing (vm_alloc +%llu)",
	      BURST_VMS, AFTER_BURST_VMS,
	      (unsigned long long)(after.drops[DIRTYSCOPE_DROP_VM_ALLOC] -
				   before.drops[DIRTYSCOPE_DROP_VM_ALLOC]));
}

/* The id of this process's VM on fd vm_fd; 0 if the module has none. */
static uint64_t own_vm_id(struct kmod_test *t, int vm_fd)
{
	static struct vm_info v;

	return get_stats_by_name(&t->nl, getpid(), vm_fd, &v) ? 0 : v.id;
}

/*
 * fault/same_key, one process: a VM runs and is destroyed, then a new VM
 * of the same process runs at the dead one's key. The teardown hook
 * looks up the real address and misses the dead VM, as it does when it
 * is armed but never fires (echo 0 > kprobes/enabled): the new VM (same
 * mm, often the same fd and so the same name) must get an entry of its
 * own, under a new id, not inherit the dead one's.
 */
void cases_same_process_stale(struct kmod_test *t)
{
	static struct mini_guest dead, fresh;
	struct owned_vm other;
	uint64_t dead_id = 0, fresh_id = 0;
	char dead_name[64], fresh_name[64] = "-";
	int r;

	r = write_file(SAME_KEY, "Y") ? start_vm(t, &dead, true) : -1;
	snprintf(dead_name, sizeof(dead_name), "%d-%d", getpid(), dead.vm);
	if (!r)
		dead_id = own_vm_id(t, dead.vm);
	mini_guest_close(&dead);
	r = r || !dead_id ? -1 : start_vm(t, &fresh, true);
	if (!r) {
		snprintf(fresh_name, sizeof(fresh_name), "%d-%d", getpid(),
			 fresh.vm);
		/* The dead entry goes and the new one is named on a workqueue. */
		for (uint64_t start = now_ms(); now_ms() - start < 30000;
		     usleep(1000)) {
			fresh_id = own_vm_id(t, fresh.vm);
			if (fresh_id && fresh_id != dead_id)
				break;
		}
	}
	CHECK(!r && fresh_id && fresh_id != dead_id,
	      "fault/same_key, one process: new VM %s is tracked under its own id (dead %s id %llu, new id %llu)",
	      fresh_name, dead_name, (unsigned long long)dead_id,
	      (unsigned long long)fresh_id);
	mini_guest_close(&fresh);
	/*
	 * The hook missed fresh too, so its entry stays at the key under this
	 * process's name, which the next VMs on that fd would clash with. A
	 * VM of another process replaces it (another mm) and leaves a name
	 * nobody reuses; the module's reload (cases_reload) clears that one.
	 */
	if (!owned_vm_start(&other, NOBODY_UID, NOBODY_GID, t->g.mg.kvm))
		owned_vm_stop(&other);
	write_file(SAME_KEY, "N");
}

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
	const char *no_hook;
	bool read;
	long long live;

	/* The twin of the check below: a tracked VM holds memory. */
	read = read_allocations(&a);
	CHECK(read && a.live > t->live_base,
	      "allocations: live %lld above the baseline %lld while the VM is tracked",
	      a.live, t->live_base);
	ring_guest_destroy(&t->g);
	no_hook = teardown_left_out();
	if (no_hook) {
		SKIP(no_hook, "VM state is dropped when the VM is destroyed");
		SKIP(no_hook, "allocations: live back to the baseline after the VM is destroyed");
		return;
	}
	CHECK(wait_vm_dropped(&t->nl, t->name, QUEUED_WORK_LIMIT_MS),
	      "VM state is dropped when the VM is destroyed");
	live = wait_live_allocations(t->live_base, QUEUED_WORK_LIMIT_MS);
	CHECK(live == t->live_base,
	      "allocations: live back to the baseline %lld after the VM is destroyed (%lld)",
	      t->live_base, live);
}
