/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dirty-ring guest of dirtyscope_kmod_test: a few bytes of code (x86:
 * real mode; arm64: EL1, MMU off) writing one byte to each of
 * RING_GUEST_NPAGES pages of a memslot with KVM_MEM_LOG_DIRTY_PAGES, then
 * saying "done" (mini_guest.h: HLT, or arm64's MMIO store). The dirty ring (256 entries, soft
 * limit 192) is smaller than the page count, so each round also produces
 * KVM_EXIT_DIRTY_RING_FULL exits. Userspace harvests the ring and keeps
 * what it saw, to compare with the module's counters.
 */
#ifndef DIRTYSCOPE_TESTS_RING_GUEST_H
#define DIRTYSCOPE_TESTS_RING_GUEST_H

#include "mini_guest.h"

#define RING_GUEST_NPAGES 200
#define RING_GUEST_ENTRIES 256

struct ring_guest {
	struct mini_guest mg;
	struct kvm_dirty_gfn *ring;
	uint32_t fetch;			/* next ring index to harvest */
	void *data;
	/* What userspace observed, to compare with the module's counters. */
	uint64_t harvested, reset_ioctls, full_exits, max_batch;
	/* Resets that recycled entries: the module notifies only those. */
	uint64_t nonempty_resets;
	uint64_t bad_entries;
	unsigned char seen[RING_GUEST_NPAGES];
};

/* 0, 1 (failure) or 4 (skip), with *why; see mini_guest.h. */
int ring_guest_create(struct ring_guest *g, const char **why);
/* The same on an already open /dev/kvm (e.g. after dropping root). */
int ring_guest_create_from(struct ring_guest *g, int kvm_fd, const char **why);
/* Runs the guest until it is done: one pass over all pages. 0 or -1. */
int ring_guest_round(struct ring_guest *g);
void ring_guest_destroy(struct ring_guest *g);

#endif
