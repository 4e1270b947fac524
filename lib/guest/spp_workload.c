/*
 * spp_test's guest program (see protocol.h and spp_plan.h): per round, the
 * store plan over the vCPU's range, then a read of every word of it.
 * Stores to pages the host protects exit to the host as KVM_EXIT_MMIO;
 * reads never do. Same freestanding rules as workload.c.
 */
#include "guest_report.h"
#include "spp_plan.h"

void ds_spp_guest_main(struct ds_shared *shared, struct ds_vcpu_params *self);

static inline GUEST void store(uint64_t addr, uint32_t size, uint64_t value) {
  if (size == 1)
    *(volatile uint8_t *)addr = (uint8_t)value;
  else if (size == 2)
    *(volatile uint16_t *)addr = (uint16_t)value;
  else if (size == 4)
    *(volatile uint32_t *)addr = (uint32_t)value;
  else
    *(volatile uint64_t *)addr = value;
}

GUEST void ds_spp_guest_main(struct ds_shared *shared, struct ds_vcpu_params *self) {
  struct ds_vcpu_spp *spp = &shared->spp[self->writer_tag - 1];
  for (;;) {
    const uint64_t base = self->region_gva, pages = self->region_pages;
    const uint64_t round = spp->round, stores = spp->stores, seed = self->rng_state;
    for (uint64_t i = 0; i < stores; ++i) {
      struct ds_spp_store s;
      ds_spp_plan(seed, round, i, pages, &s);
      store(base + (s.page << 12) + s.offset, s.size, s.value);
      /* After the store: a host that sees writes == n knows stores
       * 0..n-1 are done and store n is the one in flight. */
      DS_STORE_RELEASE(self->writes, i + 1);
    }
    uint64_t sum = DS_SPP_READ_SUM_INIT;
    for (uint64_t w = 0; w < (pages << 9); ++w) sum = ds_spp_read_step(sum, ((volatile uint64_t *)base)[w]);
    spp->read_sum = sum;
    report(self, DS_CMD_ITERATION_DONE);
  }
}
