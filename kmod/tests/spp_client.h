/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dirtyscope's SPP commands over genl_client: SPP_SET, SPP_GET (one page
 * or the dump of a VM's pages) and the SPP_DENIED events.
 */
#ifndef DIRTYSCOPE_TESTS_SPP_CLIENT_H
#define DIRTYSCOPE_TESTS_SPP_CLIENT_H

#include <stdint.h>

#include <linux/dirtyscope.h>

#include "genl_client.h"

/* A VM by VM_ID (id != 0) or else by VM_PID + VM_FD. */
struct vm_sel {
	uint64_t id;
	uint32_t pid;
	int32_t fd;
};

struct spp_page {
	uint64_t gfn;
	uint32_t vector;
	uint64_t allowed, denied;
	int attrs;		/* SPP attributes the reply carried (4 expected) */
};

/* 0 or the kernel's -errno. */
int spp_set(struct nl *nl, struct vm_sel sel, uint64_t gfn, uint32_t npages,
	    uint32_t vector);
int spp_get(struct nl *nl, struct vm_sel sel, uint64_t gfn, struct spp_page *out);
/* Dump of every registered page of the VM into pages[0..*n). */
int spp_dump(struct nl *nl, struct vm_sel sel, struct spp_page *pages, int max,
	     int *n);

struct spp_event {
	uint64_t vm_id, gpa, value;
	uint32_t len, vcpu;
};

struct spp_events {
	struct spp_event ev[1024];
	int n;			/* stored */
	int lost;		/* did not fit ev[] */
	uint64_t vm_id;		/* only this VM's events are kept */
};

/* Collects the SPP_DENIED events waiting on fd (an events-group member). */
void drain_spp_events(int fd, struct spp_events *evs);

#endif
