/*
 * The guest workload. Compiled with general-purpose registers only (no
 * SSE/AVX: software KVM backends may run guest code through KVM's
 * instruction emulator, which lacks most SIMD) and placed in guest_text so
 * the host can copy it into the guest. It must not reference anything
 * outside that section: no globals, no string literals, no jump tables.
 */
#include "guest_report.h"

static inline GUEST uint64_t xorshift64(uint64_t x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

void ds_guest_main(struct ds_shared *shared, struct ds_vcpu_params *self);

GUEST void ds_guest_main(struct ds_shared *shared, struct ds_vcpu_params *self) {
  uint64_t rng = self->rng_state;
  for (;;) {
    if (self->pause_request) {
      /* All earlier writes are complete: the host may now verify. */
      report(self, DS_CMD_PAUSED);
      continue;
    }
    rng = xorshift64(rng);
    uint64_t page = rng % self->region_pages;
    volatile uint64_t *slot = (volatile uint64_t *)(self->region_gva + (page << 12));
    slot[0] = shared->iteration;
    slot[1] = self->writer_tag;
    self->writes = self->writes + 1;
  }
}
