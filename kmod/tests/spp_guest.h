/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest of spp_kmod_test and userspace's half of the SPP model.
 *
 * Two pages at SPP_GUEST_GPA sit in a KVM_MEM_READONLY memslot, so each
 * guest store to them exits as KVM_EXIT_MMIO. The guest (x86: real mode;
 * arm64: EL1 with the MMU on; generated from a table in spp_guest.c) makes
 * 1-, 2-, 4- and 8-byte stores (x86's 8: MMX movq) at many sub-pages, some
 * straddling two sub-pages and two straddling the page boundary, then says
 * done (mini_guest.h). Userspace handles each
 * exit by the SPP rule with its own vectors: allowed writes are applied to
 * the slot's memory, denied ones dropped; every decision is recorded so
 * the test can compare the module's counts and events with it.
 */
#ifndef DIRTYSCOPE_TESTS_SPP_GUEST_H
#define DIRTYSCOPE_TESTS_SPP_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "mini_guest.h"

#define SPP_GUEST_GPA 0x10000
#define SPP_GUEST_PAGES 2
#define SPP_GUEST_GFN0 (SPP_GUEST_GPA >> 12)
#define SPP_GUEST_MAX_EXITS 64

/* One KVM_EXIT_MMIO write and what userspace decided. */
struct spp_exit {
	uint64_t gpa;
	uint32_t len;
	uint64_t value;		/* data[0..len), little-endian, zero-extended */
	bool registered;	/* the page had a vector other than full access */
	bool allowed;
};

struct spp_guest {
	struct mini_guest mg;
	void *mem;				/* the read-only slot, host view */
	uint32_t vector[SPP_GUEST_PAGES];	/* userspace's vectors */
	struct spp_exit exits[SPP_GUEST_MAX_EXITS];	/* last round */
	int nexits;
};

/* The rule both sides apply: every sub-page the write touches is writable. */
bool spp_rule_allows(uint32_t vector, uint64_t gpa, uint32_t len);
/* Exits one round should make: one per store, two per page-crossing one. */
int spp_guest_expected_exits(void);
/* Number of stores of each size (index 1, 2, 4, 8) and straddling ones. */
void spp_guest_store_mix(int by_size[9], int *straddle_subpage, int *cross_page);

/* 0, 1 (failure) or 4 (skip); see mini_guest.h. kvm_fd < 0: open /dev/kvm. */
int spp_guest_create(struct spp_guest *g, int kvm_fd, const char **why);
/* Runs the stores once, up to done, judging each exit. 0 or -1. */
int spp_guest_round(struct spp_guest *g);
void spp_guest_destroy(struct spp_guest *g);

#endif
