// SPDX-License-Identifier: GPL-2.0
/* dirtyscope_kmod_test: the module is there and answers (no VM yet). */
#include <string.h>

#include "host_util.h"
#include "kmod_test.h"
#include "ktap.h"
#include "module_view.h"

/* arm64's KVM cannot be a module; the x86 VM harness loads kvm.ko. */
#if defined(__aarch64__)
#define KVM_KIND "kvm: built-in"
#else
#define KVM_KIND "kvm: module"
#endif

bool cases_module(struct kmod_test *t)
{
	static char buf[1 << 16];
	static struct vm_list list;
	struct allocations a;
	const char *no_hook;
	int r;

	CHECK(module_loaded(), "module listed in /proc/modules");
	CHECK(read_file(DEBUGFS "/vms", buf, sizeof(buf)) >= 0 &&
	      !strncmp(buf, "# id name", 9), "debugfs vms is readable");
	/* The teardown hook is attached unless the module was built without one. */
	no_hook = teardown_left_out();
	r = read_file(DEBUGFS "/status", buf, sizeof(buf));
	CHECK(r >= 0 && strstr(buf, KVM_KIND) && !strstr(buf, ": detached") &&
	      strstr(buf, no_hook ? "teardown_probe: none" : "teardown_probe: kvm_arch_destroy_vm"),
	      "debugfs status: every KVM hook attached");
	if (r >= 0 && (!strstr(buf, KVM_KIND) || strstr(buf, "detached")))
		diag("status:\n%s", buf);
	if (no_hook)
		diag("%s: a destroyed VM's state stays until kvm.ko unloads", no_hook);

	r = nl_open(&t->nl);
	if (!r)
		r = nl_resolve(&t->nl);
	CHECK(!r && t->nl.family && t->nl.version == DIRTYSCOPE_GENL_VERSION &&
	      t->nl.events_group,
	      "genl family %s v%d with group %s resolves", DIRTYSCOPE_GENL_NAME,
	      DIRTYSCOPE_GENL_VERSION, DIRTYSCOPE_GENL_MCGRP_EVENTS);
	if (r || !t->nl.family) {
		diag("cannot talk to the module: %s", strerror(-r));
		return false;
	}
	CHECK(list_vms(&t->nl, &list) == 0, "LIST_VMS dump succeeds");
	/* Our VM does not exist yet: what is live now is someone else's. */
	CHECK(read_allocations(&a), "debugfs allocations: allocations, frees, live");
	t->live_base = a.live;
	diag("allocations %lld frees %lld live %lld", a.allocs, a.frees, a.live);
	return true;
}
