/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A per-second budget for notifications, taken in probe context: lockless
 * (one cmpxchg on a word holding the second's number and the count taken
 * in it), so it never sleeps, spins on a lock or disables anything, and it
 * is exact: at most limit takes succeed in any second of jiffies / HZ.
 *
 * Header-only: two users (ring events in netlink.c, SPP denials in spp.c).
 */
#ifndef DIRTYSCOPE_RATE_H
#define DIRTYSCOPE_RATE_H

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/types.h>

#define DS_RATE_COUNT_BITS	24
#define DS_RATE_COUNT_MASK	((1ULL << DS_RATE_COUNT_BITS) - 1)

struct ds_rate {
	atomic64_t state;	/* second << DS_RATE_COUNT_BITS | count */
};

static inline void ds_rate_init(struct ds_rate *r)
{
	atomic64_set(&r->state, 0);
}

/* True if one more notification fits this second's limit. Any context. */
static inline bool ds_rate_take(struct ds_rate *r, unsigned int limit)
{
	u64 second = (u64)(jiffies / HZ) << DS_RATE_COUNT_BITS;
	s64 old = atomic64_read(&r->state);
	u64 count;

	limit = min_t(u64, limit, DS_RATE_COUNT_MASK);
	do {
		count = ((u64)old & ~DS_RATE_COUNT_MASK) == second ?
			((u64)old & DS_RATE_COUNT_MASK) : 0;
		if (count >= limit)
			return false;
	} while (!atomic64_try_cmpxchg(&r->state, &old,
				       (s64)(second | (count + 1))));
	return true;
}

#endif
