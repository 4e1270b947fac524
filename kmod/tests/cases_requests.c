// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope_kmod_test: requests the module must refuse (malformed,
 * unknown VM, RESET_STATS without CAP_NET_ADMIN) and one it must obey.
 */
#include <errno.h>

#include "host_util.h"
#include "kmod_test.h"
#include "ktap.h"

#define RING_ENTRIES RING_GUEST_ENTRIES

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
}
