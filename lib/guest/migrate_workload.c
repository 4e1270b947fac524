/*
 * `dirtyscope migrate`'s source workload (see protocol.h): periods of hot,
 * in-order (dirtyram) and random page writes, each write counted in the
 * page itself so a resumed destination can check its memory on its own.
 * Same freestanding rules as workload.c.
 */
#include "guest_report.h"

static inline GUEST uint64_t read_tsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

/* One write: the page's own counter first, then the verified write's
 * stamp, writer and count (the order protocol.h gives the host). */
static inline GUEST void count_write(const struct ds_shared *shared, struct ds_vcpu_params *self,
                                     uint64_t page) {
  page_words(self, page)[2] = page_words(self, page)[2] + 1;
  write_page(shared, self, page);
}

/* Every write of this vCPU added 1 to exactly one of its pages: the sum of
 * the counters is its `writes`, unless memory lost or gained a write. */
static inline GUEST void self_check(struct ds_vcpu_params *self, struct ds_vcpu_migrate *state, uint64_t gen) {
  uint64_t sum = 0;
  for (uint64_t page = 0; page < self->region_pages; ++page)
    sum += page_words(self, page)[2];
  state->check_sum = sum;
  state->check = DS_MIGRATE_CHECK(gen, sum == self->writes);
}

void ds_migrate_guest_main(struct ds_shared *shared, struct ds_vcpu_params *self);

GUEST void ds_migrate_guest_main(struct ds_shared *shared, struct ds_vcpu_params *self) {
  const struct ds_migrate_params *period = &shared->migrate;
  struct ds_vcpu_migrate *state = &shared->migrated[self->writer_tag - 1];
  uint64_t rng = self->rng_state;
  uint64_t cursor = 0;   /* dirtyram's next page among the non-hot ones */
  uint64_t step = 0;     /* writes done in this period */
  uint64_t checked = 0;  /* the last check_gen answered */
  uint64_t populated = period->populate ? 0 : self->region_pages;  /* pages written by the first pass */
  /* Locals live in registers and on this vCPU's stack, which a migration
   * carries along with memory: a resumed vCPU goes on mid-period. */
  for (;;) {
    if (self->pause_request) {
      report(self, DS_CMD_PAUSED);
      continue;
    }
    const uint64_t gen = period->check_gen;
    if (gen != checked) {
      checked = gen;
      self_check(self, state, gen);
    }
    const uint64_t pages = self->region_pages;
    if (populated < pages) {
      /* Map every page writable before the host turns logging on, as a
       * VM that ran before its migration has. */
      count_write(shared, self, populated++);
      if (populated == pages) state->periods = state->periods + 1;
      continue;
    }
    const uint64_t hot = period->hot_pages < pages ? period->hot_pages : pages;
    const uint64_t cold = pages - hot;
    const uint64_t dirty = cold ? period->dirty_pages : 0;
    if (step < hot) {
      count_write(shared, self, step);
    } else if (step < hot + dirty) {
      count_write(shared, self, hot + cursor);
      cursor = cursor + 1 == cold ? 0 : cursor + 1;
    } else if (step < hot + dirty + period->random_pages) {
      rng = xorshift64(rng);
      count_write(shared, self, rng % pages);
    } else {
      state->periods = state->periods + 1;
      step = 0;
      const uint64_t start = read_tsc();
      while (read_tsc() - start < period->pause_tsc && !self->pause_request && period->check_gen == checked) {
      }
      continue;
    }
    ++step;
  }
}
