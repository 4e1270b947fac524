/* SPDX-License-Identifier: GPL-2.0 */
/* What dirtyscope.ko shows about a VM in debugfs and over netlink. */
#ifndef DIRTYSCOPE_TESTS_MODULE_VIEW_H
#define DIRTYSCOPE_TESTS_MODULE_VIEW_H

#include <stdbool.h>

#include <linux/dirtyscope.h>

#include "genl_client.h"

#define DEBUGFS "/sys/kernel/debug/" DIRTYSCOPE_DEBUGFS_DIR

/* The file (e.g. DEBUGFS "/vms") has a line with " name ". */
bool file_lists_name(const char *path, const char *name);
/*
 * Waits up to timeout_ms until the VM called name is gone from LIST_VMS,
 * debugfs/vms and its debugfs directory. VM teardown is synchronous with
 * the last close; the debugfs directory follows on a workqueue.
 */
bool wait_vm_dropped(struct nl *nl, const char *name, int timeout_ms);

#endif
