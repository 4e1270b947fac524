// SPDX-License-Identifier: GPL-2.0
/*
 * kmsg_check_test: the kernel-log judge of genl_fuzz and module_churn on
 * fabricated logs, on the host (ctest kmod.kmsg_check). A judge that
 * passes everything would make the churn test's "0 warnings, balanced
 * allocations" meaningless, so each refusal is shown here. KTAP; exit 0/1.
 */
#include <string.h>

#include "kmsg_check.h"
#include "ktap.h"

struct log_case {
	const char *name;
	const char *text;
	int bad_lines, exit_lines, unbalanced;
	uint64_t allocations;
};

static const struct log_case cases[] = {
	{ "a clean churn log passes, allocations summed",
	  "[    3.1] dirtyscope: loaded\n"
	  "[    3.6] dirtyscope: attached to 7/7 KVM tracepoints (kvm.ko)\n"
	  "[    4.9] dirtyscope: exit: allocations=9 frees=9\n"
	  "[    4.9] dirtyscope: unloaded\n"
	  "dirtyscope: exit: allocations=3 frees=3\n"
	  "[    5.1] netlink: 'genl_fuzz': attribute type 2 has an invalid length.\n",
	  0, 2, 0, 12 },
	{ "a WARNING is flagged",
	  "[    7.0] WARNING: CPU: 0 PID: 88 at kmod/core.c:410 ds_vm_put+0x3c/0x50 [dirtyscope]\n",
	  1, 0, 0, 0 },
	{ "BUG, Oops and a stack dump are flagged",
	  "[    7.0] BUG: unable to handle page fault for address: ffffc90000a3b000\n"
	  "[    7.0] Oops: 0000 [#1] PREEMPT SMP NOPTI\n"
	  "[    7.0] Call Trace:\n",
	  3, 0, 0, 0 },
	{ "refcount_t and list corruption reports are flagged",
	  "[    7.0] refcount_t: underflow; use-after-free.\n"
	  "[    7.0] list_del corruption. prev->next should be ffff888004c1e0a8\n",
	  2, 0, 0, 0 },
	{ "a KASAN report is flagged",
	  "[    7.0] ==================================================================\n"
	  "[    7.0] KASAN: slab-use-after-free in ds_genl_get_stats\n",
	  1, 0, 0, 0 },
	{ "sleeping in atomic context (PREEMPT_RT's sleeping locks) is flagged",
	  "[    7.0] BUG: sleeping function called from invalid context at kernel/locking/spinlock_rt.c:48\n"
	  "[    7.0] in_atomic(): 1, irqs_disabled(): 1, non_block: 0, pid: 90, name: qemu\n"
	  "[    7.0] preempt_count: 1, expected: 0\n"
	  "[    7.0] Preemption disabled at:\n"
	  "[    7.1] BUG: scheduling while atomic: qemu/90/0x00000002\n",
	  3, 0, 0, 0 },
	{ "allocations != frees is flagged",
	  "[    9.0] dirtyscope: exit: allocations=10 frees=9\n"
	  "[    9.5] dirtyscope: exit: allocations=4 frees=4\n",
	  0, 2, 1, 4 },
	{ "a torn exit line counts as unbalanced",
	  "[    9.0] dirtyscope: exit: allocations=10\n", 0, 1, 1, 0 },
	{ "an empty log has no exit line",
	  "", 0, 0, 0, 0 },
};

int main(void)
{
	int n = sizeof(cases) / sizeof(cases[0]);
	struct kmsg_verdict v;

	ktap_header(n + 1);
	for (int i = 0; i < n; i++) {
		const struct log_case *c = &cases[i];

		kmsg_check_text(c->text, &v);
		if (v.bad_lines)
			diag("first bad: %s", v.first_bad);
		if (v.unbalanced)
			diag("first unbalanced: %s", v.first_unbalanced);
		CHECK(v.bad_lines == c->bad_lines && v.exit_lines == c->exit_lines &&
		      v.unbalanced == c->unbalanced && v.allocations == c->allocations,
		      "%s (bad %d, exit lines %d, unbalanced %d)", c->name, v.bad_lines,
		      v.exit_lines, v.unbalanced);
	}
	/* Lines are judged one by one: a pattern split by a newline is not one. */
	CHECK(!kmsg_line_is_bad("dirtyscope: loaded") && kmsg_line_is_bad("x WARNING: y"),
	      "line judge: a plain line passes, a WARNING line does not");
	/* Without the "BUG:" prefix too: the message itself is the verdict. */
	CHECK(kmsg_line_is_bad("sleeping function called from invalid context at x") &&
	      kmsg_line_is_bad("scheduling while atomic: a/1/0x2"),
	      "line judge: the atomic-context reports alone are bad");
	return ktap_exit_code(0);
}
