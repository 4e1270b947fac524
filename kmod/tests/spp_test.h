/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spp_kmod_test's cases, grouped by topic, sharing one context. main()
 * (spp_kmod_test.c) runs them in a fixed order that fixes the numbering.
 */
#ifndef DIRTYSCOPE_TESTS_SPP_TEST_H
#define DIRTYSCOPE_TESTS_SPP_TEST_H

#include "genl_client.h"
#include "spp_client.h"
#include "spp_guest.h"

#define SPP_TEST_PLAN 38

/* What the module must report for one page, by userspace's own count. */
struct spp_expect_page {
	bool registered;
	uint32_t vector;
	uint64_t allowed, denied;
};

struct spp_test {
	const char *ko;
	struct nl nl, evnl;
	struct spp_guest g;
	struct vm_sel sel;		/* by VM_ID */
	char name[64];
	struct spp_expect_page page[SPP_GUEST_PAGES];
	uint64_t allowed, denied;	/* VM totals */
	uint64_t seed;
};

/* spp_cases_counts.c */
void spp_cases_counts(struct spp_test *t);
/* Registers vectors on both pages, here and in the userspace model. */
int spp_test_set(struct spp_test *t, const uint32_t vector[SPP_GUEST_PAGES]);
/* spp_cases_requests.c: capability, malformed requests, limits, rights. */
void spp_cases_capability(void);
void spp_cases_requests(struct spp_test *t);
void spp_cases_permissions(struct spp_test *t);
/* spp_cases_lifecycle.c */
void spp_cases_reload(struct spp_test *t);
void spp_cases_teardown(struct spp_test *t);

#endif
