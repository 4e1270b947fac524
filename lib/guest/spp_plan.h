/*
 * spp_test's store plan: which store the guest makes as store i of a round,
 * computed the same way by the guest (spp_workload.c) and by the host that
 * predicts the outcome (SppExpectation). Freestanding C: always inlined,
 * general-purpose arithmetic only, no tables or literals, so the guest
 * copy never leaves its section.
 *
 * A round over P pages is a structured part, then random stores:
 *   - structured, i < P * DS_SPP_PLAN_PER_PAGE: page i / 224, sub-page
 *     (i % 224) / 7, and kind k = i % 7: k = 0..3 a 1/2/4/8-byte store
 *     inside the sub-page (offset 16 + 8k, naturally aligned); k = 4..6 a
 *     2/4/8-byte store straddling this sub-page and the next (for the
 *     last sub-page of a page, an unaligned store inside it instead: a
 *     store never crosses a page, so KVM reports each as one MMIO exit);
 *   - random, beyond that: a page, a size of 1, 2, 4 or 8 bytes and any
 *     offset that keeps the store inside the page.
 * Every store's value is a hash of (seed, round, i), so a store that is
 * lost, or applied when it should not be, almost always changes memory.
 */
#ifndef DIRTYSCOPE_SPP_PLAN_H
#define DIRTYSCOPE_SPP_PLAN_H

#include <stdint.h>

#define DS_SPP_SUBPAGE_SIZE 128
#define DS_SPP_SUBPAGES 32
#define DS_SPP_PLAN_KINDS 7
#define DS_SPP_PLAN_PER_PAGE (DS_SPP_SUBPAGES * DS_SPP_PLAN_KINDS)

#define DS_SPP_INLINE static inline __attribute__((always_inline))

struct ds_spp_store {
  uint64_t page;   /* in the vCPU's range */
  uint32_t offset; /* in the page */
  uint32_t size;   /* 1, 2, 4 or 8 */
  uint64_t value;  /* the low `size` bytes are stored, little-endian */
};

/* splitmix64's finalizer; the host's seeds (vCPU, mode) mix with it too. */
DS_SPP_INLINE uint64_t ds_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

DS_SPP_INLINE void ds_spp_plan(uint64_t seed, uint64_t round, uint64_t i, uint64_t pages,
                               struct ds_spp_store *s) {
  const uint64_t h = ds_mix64(seed + round * 0x9e3779b97f4a7c15ULL + i * 0xd1b54a32d192ed03ULL);
  s->value = ds_mix64(h);
  if (i < pages * DS_SPP_PLAN_PER_PAGE) {
    const uint64_t r = i % DS_SPP_PLAN_PER_PAGE;
    const uint32_t sub = (uint32_t)(r / DS_SPP_PLAN_KINDS), kind = (uint32_t)(r % DS_SPP_PLAN_KINDS);
    s->page = i / DS_SPP_PLAN_PER_PAGE;
    if (kind < 4) {
      s->size = 1u << kind;
      s->offset = sub * DS_SPP_SUBPAGE_SIZE + 16 + 8 * kind;
    } else {
      s->size = 1u << (kind - 3);
      s->offset = sub + 1 < DS_SPP_SUBPAGES ? (sub + 1) * DS_SPP_SUBPAGE_SIZE - s->size / 2
                                            : sub * DS_SPP_SUBPAGE_SIZE + 100 + kind;
    }
    return;
  }
  s->page = (h >> 8) % pages;
  s->size = 1u << ((h >> 4) & 3);
  s->offset = (uint32_t)((h >> 32) % (4096 - s->size + 1));
}

/* What the guest reads back after a round: FNV-1a over the u64 words of
 * its pages, in order. */
DS_SPP_INLINE uint64_t ds_spp_read_step(uint64_t sum, uint64_t word) {
  return (sum ^ word) * 0x100000001b3ULL;
}
#define DS_SPP_READ_SUM_INIT 0xcbf29ce484222325ULL

#endif
