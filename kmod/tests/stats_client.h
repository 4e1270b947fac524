/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dirtyscope's statistics commands over genl_client: LIST_VMS, GET_STATS,
 * RESET_STATS, and the ring events of the events group.
 */
#ifndef DIRTYSCOPE_TESTS_STATS_CLIENT_H
#define DIRTYSCOPE_TESTS_STATS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/dirtyscope.h>

#include "genl_client.h"

/* One VM as LIST_VMS / GET_STATS describe it. */
struct vm_info {
	uint64_t id;
	uint32_t pid;
	int32_t fd;
	char name[64];
	uint32_t nr_vcpus;
	uint64_t total[DIRTYSCOPE_STAT_MAX + 1];
	uint64_t vcpu0[DIRTYSCOPE_STAT_MAX + 1];
	int vcpu_nests;
	uint64_t unattributed;
	bool have_unattributed;
	uint64_t reset_gen;
	bool have_reset_gen;
	uint64_t drops[DIRTYSCOPE_DROP_MAX + 1];	/* the VM's DROPS nest */
	bool have_drops;
};

/* GET_MODULE: module-wide generation, drops, unattributed. */
struct module_info {
	uint64_t reset_gen;
	uint64_t drops[DIRTYSCOPE_DROP_MAX + 1];
	uint64_t unattributed;
	bool have_reset_gen, have_drops;
};

struct vm_list {
	struct vm_info vms[64];
	int n;
};

int list_vms(struct nl *nl, struct vm_list *l);
struct vm_info *find_vm(struct vm_list *l, const char *name);
int get_stats_by_name(struct nl *nl, uint32_t pid, int32_t fd,
		      struct vm_info *out);
int get_stats_by_id(struct nl *nl, uint64_t id, struct vm_info *out);
/* GET_STATS as a dump: the messages' VM, how many, their vCPU nests. */
struct stats_dump {
	struct vm_info vm;	/* the first message */
	int messages, vcpu_nests;
	bool mixed;		/* a message named another VM */
};
int get_stats_dump(struct nl *nl, uint64_t id, struct stats_dump *out);
/* id 0: every VM. */
int reset_stats(struct nl *nl, uint64_t id);
int get_module(struct nl *nl, struct module_info *out);

/* Ring events received on the multicast socket, counted by type. */
struct ring_events {
	int full, reset;
	uint64_t reset_entries;
	uint64_t vm_id;		/* only this VM's events count; 0: all */
};

void drain_ring_events(int fd, struct ring_events *ev);

#endif
