// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope_kmod_test: requests the module must refuse (malformed,
 * unknown VM, RESET_STATS without CAP_NET_ADMIN) and one it must obey.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_util.h"
#include "kmod_test.h"
#include "ktap.h"

#define RING_ENTRIES RING_GUEST_ENTRIES
#define STATS_MAX_PARAM "/sys/module/dirtyscope/parameters/stats_reply_max"
/* More vCPU nests than one dump message holds (a few KiB to 32 KiB). */
#define MANY_VCPUS 320

static int malformed(struct nl *nl, int variant)
{
	uint32_t u32 = 1;
	uint64_t u64 = 1;
	struct msg m;

	msg_init(&m, nl->family, 0, DIRTYSCOPE_CMD_GET_STATS, 1);
	switch (variant) {
	case 0:		/* no selector */
		break;
	case 1:		/* reply-only attribute in a request */
		msg_put(&m, DIRTYSCOPE_ATTR_VM_NAME, "x", 2);
		break;
	case 2:		/* VM_ID with a u32 payload */
		msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &u32, sizeof(u32));
		break;
	case 3:		/* attribute type beyond the policy */
		msg_put(&m, DIRTYSCOPE_ATTR_MAX + 5, &u32, sizeof(u32));
		break;
	case 4:		/* pid without fd */
		msg_put(&m, DIRTYSCOPE_ATTR_VM_PID, &u32, sizeof(u32));
		break;
	case 5:		/* VM_ID 0 is below the policy minimum */
		u64 = 0;
		msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &u64, sizeof(u64));
		break;
	case 6:		/* truncated attribute header: trailing garbage */
		m.nlh.nlmsg_len += 2;
		break;
	case 7:		/* reserved genl header bytes must be zero */
		m.genl.reserved = 1;
		msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &u64, sizeof(u64));
		break;
	}
	return nl_transact(nl, &m, NULL, NULL);
}

/* In a child running as nobody: RESET_STATS of every VM; its errno. */
static int reset_all_as_child(void *unused)
{
	struct nl nl = { 0 };

	(void)unused;
	if (nl_open(&nl) || nl_resolve(&nl))
		return 101;
	return -reset_stats(&nl, 0);
}

/*
 * A VM of MANY_VCPUS vCPUs, each run until the module tracks it (a run
 * that found the vCPU pool empty is a counted drop: run again). With the
 * GET_STATS reply limit lowered below its size, the do request is
 * EMSGSIZE and the dump carries every vCPU, in several messages.
 */
static void case_many_vcpus(struct kmod_test *t)
{
	static struct mini_guest v[MANY_VCPUS];
	struct stats_dump d = { 0 };
	struct vm_info st;
	const char *why = NULL;
	char name[64], limit[32] = "";
	int n = 0, r, doit = 0;
	struct vm_list *l = NULL;
	static struct vm_list all;
	uint64_t id = 0;

	r = mini_guest_open_from(&v[0], t->g.mg.kvm, &why) ||
	    mini_guest_add_done_code(&v[0], &why);
	for (; n < MANY_VCPUS && !r; n++) {
		if (n)
			v[n] = v[0];
		r = mini_guest_add_vcpu_id(&v[n], n, &why);
	}
	snprintf(name, sizeof(name), "%d-%d", getpid(), v[0].vm);
	for (int pass = 0; pass < 50 && !r && d.vcpu_nests < n; pass++) {
		for (int i = 0; i < n && !r; i++)
			r = mini_guest_run(&v[i]) || !mini_guest_done(&v[i]);
		l = r ? NULL : (list_vms(&t->nl, &all) ? NULL : &all);
		id = l && find_vm(l, name) ? find_vm(l, name)->id : 0;
		r = r || !id || get_stats_dump(&t->nl, id, &d);
	}
	if (why)
		diag("many-vCPU VM: %s", why);
	r = r || read_file(STATS_MAX_PARAM, limit, sizeof(limit)) <= 0 ||
	    !write_file(STATS_MAX_PARAM, "4096");
	doit = r ? 0 : get_stats_by_id(&t->nl, id, &st);
	r = r || get_stats_dump(&t->nl, id, &d);
	if (limit[0])
		write_file(STATS_MAX_PARAM, limit);
	CHECK(!r && doit == -EMSGSIZE && !d.mixed && d.messages > 1 &&
	      d.vcpu_nests == MANY_VCPUS && d.vm.nr_vcpus == MANY_VCPUS,
	      "%d vCPUs: GET_STATS do EMSGSIZE (%d) past stats_reply_max, the dump carries all (%d nests in %d messages)",
	      MANY_VCPUS, doit, d.vcpu_nests, d.messages);
	for (int i = n - 1; i >= 0; i--) {
		if (v[i].run && v[i].run != MAP_FAILED)
			munmap(v[i].run, v[i].run_size);
		if (i && v[i].vcpu > 0)
			close(v[i].vcpu);
	}
	v[0].run = NULL;
	mini_guest_close(&v[0]);
}

void cases_requests(struct kmod_test *t)
{
	struct nl *nl = &t->nl;
	struct vm_info st2;
	int r;

	CHECK(malformed(nl, 0) == -EINVAL, "GET_STATS without selector: EINVAL");
	CHECK(malformed(nl, 1) == -EINVAL, "reply-only attribute rejected: EINVAL");
	CHECK(malformed(nl, 2) == -ERANGE || malformed(nl, 2) == -EINVAL,
	      "wrong-size VM_ID rejected");
	CHECK(malformed(nl, 3) == -EINVAL, "unknown attribute rejected: EINVAL");
	CHECK(malformed(nl, 4) == -EINVAL && malformed(nl, 5) == -ERANGE &&
	      malformed(nl, 6) == -EINVAL && malformed(nl, 7) == -EINVAL,
	      "incomplete selector, VM_ID 0, trailing bytes, reserved bytes rejected");
	CHECK(get_stats_by_id(nl, t->st.id + 1000, &st2) == -ENOENT,
	      "GET_STATS of an unknown VM: ENOENT");

	r = run_as(NOBODY_UID, NOBODY_GID, reset_all_as_child, NULL);
	CHECK(r == EPERM, "RESET_STATS as nobody: EPERM (got %d)", r);
	r = reset_stats(nl, t->st.id);
	CHECK(!r && !get_stats_by_id(nl, t->st.id, &st2) &&
	      st2.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] == 0 &&
	      st2.vcpu0[DIRTYSCOPE_STAT_RING_RESETS] == 0 &&
	      st2.vcpu0[DIRTYSCOPE_STAT_RING_SIZE] == RING_ENTRIES,
	      "RESET_STATS as root zeroes the counters");
	case_many_vcpus(t);
}
