// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope_kmod_test: who sees which VM. With VMs of root (the ring
 * guest), nobody and uid 1000 alive, each of them lists, reads and joins
 * the events group; every check compares the exact set the rule allows
 * (kmod/access.h): own VMs for users, everything for root. Then uid 1000
 * with only CAP_SYS_PTRACE, or only CAP_PERFMON, must see every VM, the
 * module-wide count only with CAP_PERFMON, and not join the events group.
 * Resetting follows reading: an owner resets its own VM, not another's;
 * CAP_NET_ADMIN alone resets no one's. Last, with debugfs fault/same_key
 * (every VM at one key, the teardown hook blind), a VM of uid 1000 that
 * meets the dead entry of nobody's VM is tracked on its own: nobody
 * neither sees nor resets it.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "host_util.h"
#include "kmod_test.h"
#include "ktap.h"
#include "module_view.h"
#include "owned_vm.h"

#define OTHER_UID 1000
#define NR_OWNERS 3		/* root, nobody, OTHER_UID */

struct view {
	uid_t uid;
	gid_t gid;
	const char *visible[NR_OWNERS];	/* names this user must see */
	int nvisible;
	const struct vm_list *all;	/* root's listing: ids of every VM */
	bool unattributed;		/* GET_STATS carries UNATTRIBUTED */
};

static bool visible(const struct view *v, const char *name)
{
	for (int i = 0; i < v->nvisible; i++)
		if (!strcmp(v->visible[i], name))
			return true;
	return false;
}

/* LIST_VMS must return exactly the visible VMs. */
static int list_child(void *arg)
{
	const struct view *v = arg;
	struct vm_list l;
	struct nl nl = { 0 };
	bool ok;

	if (nl_open(&nl) || nl_resolve(&nl) || list_vms(&nl, &l))
		return 101;
	ok = l.n == v->nvisible;
	for (int i = 0; i < l.n; i++)
		ok = ok && visible(v, l.vms[i].name);
	if (ok)
		return 0;
	diag("uid %u lists %d VMs, expected %d", (unsigned int)v->uid, l.n,
	     v->nvisible);
	for (int i = 0; i < l.n; i++)
		diag("uid %u lists %s", (unsigned int)v->uid, l.vms[i].name);
	return 1;
}

/*
 * GET_STATS of every VM of root's listing, by id and by pid+fd: the
 * visible ones answer (UNATTRIBUTED only for root), the others are ENOENT
 * exactly like a VM that does not exist.
 */
static int stats_child(void *arg)
{
	const struct view *v = arg;
	struct vm_info st;
	struct nl nl = { 0 };
	int by_id, by_name;

	if (nl_open(&nl) || nl_resolve(&nl))
		return 101;
	for (int i = 0; i < v->all->n; i++) {
		const struct vm_info *vm = &v->all->vms[i];

		by_id = get_stats_by_id(&nl, vm->id, &st);
		if (!by_id && (strcmp(st.name, vm->name) ||
			       st.have_unattributed != v->unattributed)) {
			diag("uid %u: GET_STATS %s: name %s, UNATTRIBUTED %s",
			     (unsigned int)v->uid, vm->name, st.name,
			     st.have_unattributed ? "present" : "absent");
			return 2;
		}
		by_name = get_stats_by_name(&nl, vm->pid, vm->fd, &st);
		if (by_id != by_name ||
		    by_id != (visible(v, vm->name) ? 0 : -ENOENT)) {
			diag("uid %u: GET_STATS %s: by id %d, by name %d",
			     (unsigned int)v->uid, vm->name, by_id, by_name);
			return 1;
		}
	}
	return 0;
}

/* With capabilities: the listing, the reads, and no events group. */
static int caps_child(void *arg)
{
	struct nl nl = { 0 }, ev = { 0 };
	int r = list_child(arg) ?: stats_child(arg);

	if (r)
		return r;
	if (nl_open(&nl) || nl_resolve(&nl))
		return 101;
	r = nl_open_events(&ev, &nl);
	if (r != -EPERM) {
		diag("events group with capabilities: %d, want -EPERM", r);
		return 3;
	}
	return 0;
}

/* RESET_STATS of the VM with id *arg: its errno (0 reset). */
static int reset_child(void *arg)
{
	const uint64_t *id = arg;
	struct nl nl = { 0 };

	if (nl_open(&nl) || nl_resolve(&nl))
		return 101;
	return -reset_stats(&nl, *id);
}

/* The reset generation of the VM named name in root's listing, or -1. */
static long long reset_gen(struct kmod_test *t, const char *name)
{
	static struct vm_list l;
	struct vm_info *vm;

	if (list_vms(&t->nl, &l))
		return -1;
	vm = find_vm(&l, name);
	return vm && vm->have_reset_gen ? (long long)vm->reset_gen : -1;
}

/* uid resets the VM name; returns its errno, *gen_step the generation's step. */
static int reset_as(struct kmod_test *t, uid_t uid, uint64_t caps,
		    const char *name, long long *gen_step)
{
	static struct vm_list l;
	struct vm_info *vm;
	long long before = reset_gen(t, name);
	uint64_t id;
	int r;

	if (list_vms(&t->nl, &l) || !(vm = find_vm(&l, name)) || before < 0)
		return -1;
	id = vm->id;
	r = caps ? run_as_caps(uid, uid, caps, reset_child, &id) :
		   run_as(uid, uid == NOBODY_UID ? NOBODY_GID : uid, reset_child, &id);
	*gen_step = reset_gen(t, name) - before;
	return r;
}

static void reset_cases(struct kmod_test *t, const struct owned_vm *nobody)
{
	long long step;
	int r;

	r = reset_as(t, NOBODY_UID, 0, nobody->name, &step);
	CHECK(r == 0 && step == 1, "RESET_STATS as nobody of its own VM: done (got %d, generation +%lld)",
	      r, step);
	r = reset_as(t, NOBODY_UID, 0, t->name, &step);
	CHECK(r == ENOENT && step == 0,
	      "RESET_STATS as nobody of root's VM: ENOENT, untouched (got %d, generation +%lld)",
	      r, step);
	r = reset_as(t, OTHER_UID, 1ULL << CAP_NET_ADMIN, t->name, &step);
	CHECK(r == ENOENT && step == 0,
	      "RESET_STATS as uid 1000 with only CAP_NET_ADMIN of root's VM: ENOENT (got %d, generation +%lld)",
	      r, step);
}

/*
 * Under fault/same_key: nobody's VM dies unseen, then uid 1000's VM sits
 * at its key. uid 1000 must list exactly its VM by its own name, nobody
 * nothing, and nobody's RESET_STATS of it must be ENOENT.
 */
static void stale_cases(struct kmod_test *t)
{
	struct view mine = { .uid = OTHER_UID, .gid = OTHER_UID, .nvisible = 1 };
	struct view none = { .uid = NOBODY_UID, .gid = NOBODY_GID };
	static struct vm_list all;
	struct owned_vm dead, fresh;
	char dead_name[64];
	const char *no_hook;
	long long step = -1;
	int up, r_mine, r_none, r_write = -1;

	up = !write_file(SAME_KEY, "Y") ? -1 :
	     owned_vm_start(&dead, NOBODY_UID, NOBODY_GID, t->g.mg.kvm);
	if (!up) {
		snprintf(dead_name, sizeof(dead_name), "%s", dead.name);
		owned_vm_stop(&dead);
		up = owned_vm_start(&fresh, OTHER_UID, OTHER_UID, t->g.mg.kvm);
	}
	write_file(SAME_KEY, "N");
	CHECK(!up && !list_vms(&t->nl, &all) && find_vm(&all, fresh.name) &&
	      !find_vm(&all, dead_name),
	      "fault/same_key: uid 1000's VM %s replaces the entry of nobody's dead VM %s",
	      up ? "-" : fresh.name, up ? "-" : dead_name);
	if (up) {
		CHECK(false, "fault/same_key: uid 1000 reads its new VM (it did not run)");
		CHECK(false, "fault/same_key: nobody cannot reset it (it did not run)");
		return;
	}
	mine.visible[0] = fresh.name;
	mine.all = none.all = &all;
	/*
	 * The lists must hold exactly these VMs; without a teardown hook the
	 * dead VMs of both uids from the earlier cases are still listed.
	 */
	no_hook = teardown_left_out();
	if (no_hook) {
		SKIP(no_hook, "fault/same_key: uid 1000 reads its new VM, nobody reads nothing");
	} else {
		r_mine = run_as(mine.uid, mine.gid, list_child, &mine) ?:
			 run_as(mine.uid, mine.gid, stats_child, &mine);
		r_none = run_as(none.uid, none.gid, list_child, &none) ?:
			 run_as(none.uid, none.gid, stats_child, &none);
		CHECK(r_mine == 0 && r_none == 0,
		      "fault/same_key: uid 1000 reads its new VM, nobody reads nothing (got %d, %d)",
		      r_mine, r_none);
	}
	r_write = reset_as(t, NOBODY_UID, 0, fresh.name, &step);
	CHECK(r_write == ENOENT && step == 0,
	      "fault/same_key: nobody's RESET_STATS of uid 1000's VM: ENOENT (got %d, generation +%lld)",
	      r_write, step);
	owned_vm_stop(&fresh);
}

/* Joining the events group: its errno (0 joined). */
static int events_child(void *unused)
{
	struct nl nl = { 0 }, ev = { 0 };
	int r;

	(void)unused;
	if (nl_open(&nl) || nl_resolve(&nl))
		return 101;
	r = nl_open_events(&ev, &nl);
	return -r;
}

void cases_permissions(struct kmod_test *t)
{
	struct owned_vm nobody, other;
	static struct vm_list all;
	struct view views[NR_OWNERS], caps_view;
	const char *who[NR_OWNERS] = { "root", "nobody", "uid 1000" };
	int r, up_nobody, up_other, ev[NR_OWNERS];

	up_nobody = owned_vm_start(&nobody, NOBODY_UID, NOBODY_GID, t->g.mg.kvm);
	up_other = owned_vm_start(&other, OTHER_UID, OTHER_UID, t->g.mg.kvm);
	r = list_vms(&t->nl, &all);
	CHECK(!up_nobody && !up_other && !r,
	      "VMs of nobody (%s) and uid 1000 (%s) run next to root's (%s)",
	      nobody.name, other.name, t->name);

	views[0] = (struct view){ .uid = 0, .gid = 0, .nvisible = 3, .all = &all,
				  .visible = { t->name, nobody.name, other.name },
				  .unattributed = true };
	views[1] = (struct view){ .uid = NOBODY_UID, .gid = NOBODY_GID,
				  .nvisible = 1, .all = &all,
				  .visible = { nobody.name } };
	views[2] = (struct view){ .uid = OTHER_UID, .gid = OTHER_UID,
				  .nvisible = 1, .all = &all,
				  .visible = { other.name } };
	for (int i = 0; i < NR_OWNERS; i++) {
		r = run_as(views[i].uid, views[i].gid, list_child, &views[i]);
		CHECK(r == 0, "LIST_VMS as %s: exactly %s (got %d)", who[i],
		      i ? "its own VM" : "all three VMs", r);
	}
	for (int i = 0; i < NR_OWNERS; i++) {
		r = run_as(views[i].uid, views[i].gid, stats_child, &views[i]);
		CHECK(r == 0, "GET_STATS as %s: %s, others ENOENT (got %d)", who[i],
		      i ? "own VM without UNATTRIBUTED" : "every VM with UNATTRIBUTED",
		      r);
	}
	for (int i = 0; i < NR_OWNERS; i++)
		ev[i] = run_as(views[i].uid, views[i].gid, events_child, NULL);
	CHECK(ev[0] == 0 && ev[1] == EPERM && ev[2] == EPERM,
	      "events group: root joins, nobody and uid 1000 get EPERM (got %d, %d, %d)",
	      ev[0], ev[1], ev[2]);

	/* Capabilities that widen the view; only root's events group. */
	caps_view = views[0];
	caps_view.uid = caps_view.gid = OTHER_UID;
	caps_view.unattributed = false;
	r = run_as_caps(OTHER_UID, OTHER_UID, 1ULL << CAP_SYS_PTRACE, caps_child,
			&caps_view);
	CHECK(r == 0, "uid 1000 with CAP_SYS_PTRACE: all three VMs, no UNATTRIBUTED, no events (got %d)",
	      r);
	caps_view.unattributed = true;
	r = run_as_caps(OTHER_UID, OTHER_UID, 1ULL << CAP_PERFMON, caps_child,
			&caps_view);
	CHECK(r == 0, "uid 1000 with CAP_PERFMON: all three VMs with UNATTRIBUTED, no events (got %d)",
	      r);

	reset_cases(t, &nobody);
	owned_vm_stop(&nobody);
	owned_vm_stop(&other);
	stale_cases(t);
}
