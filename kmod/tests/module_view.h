/* SPDX-License-Identifier: GPL-2.0 */
/* What dirtyscope.ko shows about a VM in debugfs and over netlink. */
#ifndef DIRTYSCOPE_TESTS_MODULE_VIEW_H
#define DIRTYSCOPE_TESTS_MODULE_VIEW_H

#include <stdbool.h>

#include <linux/dirtyscope.h>

#include "genl_client.h"

#define DEBUGFS "/sys/kernel/debug/" DIRTYSCOPE_DEBUGFS_DIR
/* Root's test knob: every VM at one key (kmod/vm_table.c). */
#define SAME_KEY DEBUGFS "/fault/same_key"

/*
 * How long a test waits for what the module does on its workqueue (a VM's
 * debugfs directory, its state after teardown): normally milliseconds, but
 * a debug kernel under TCG on a busy host runs queued work late, so the
 * limit is generous; each wait ends as soon as the state is reached.
 */
#define QUEUED_WORK_LIMIT_MS 20000

/* The file (e.g. DEBUGFS "/vms") has a line with " name ". */
bool file_lists_name(const char *path, const char *name);
/*
 * Waits up to timeout_ms until the VM called name is gone from LIST_VMS,
 * debugfs/vms and its debugfs directory. VM teardown is synchronous with
 * the last close; the debugfs directory follows on a workqueue.
 */
bool wait_vm_dropped(struct nl *nl, const char *name, int timeout_ms);

/*
 * Why dirtyscope.ko has no VM-teardown hook on this kernel, from the
 * status's "left_out: teardown_probe (WHY)" line (kmod/probes.h decides
 * when the module is built), as "no VM teardown hook: WHY"; NULL when it
 * has one. Without the hook a destroyed VM's state stays until kvm.ko
 * unloads (kmod/README.md, "Kernels configured unlike Debian's").
 */
const char *teardown_left_out(void);

/*
 * DEBUGFS "/allocations": exactly "allocations N", "frees N", "live N",
 * with live == allocations - frees. False if the file breaks that form.
 */
struct allocations {
	long long allocs, frees, live;
};
bool read_allocations(struct allocations *a);
/*
 * Waits up to timeout_ms until live equals want (frees trail a VM's
 * teardown by an RCU grace period). Returns the last reading's live, or
 * -1 if the file could not be read.
 */
long long wait_live_allocations(long long want, int timeout_ms);

#endif
