/*
 * spp_test's guest program (see protocol.h and spp_plan.h): per round, the
 * store plan over the vCPU's range, then a read of every word of it.
 * Stores to pages the host protects exit to the host as KVM_EXIT_MMIO;
 * reads never do. Same freestanding rules as workload.c.
 */
#include "guest_report.h"
#include "spp_plan.h"

void ds_spp_guest_main(struct ds_shared *shared, struct ds_vcpu_params *self);

/*
 * Every access to the test region must be one that KVM can emulate as MMIO:
 * stores to protected pages always exit, and while the host swaps a
 * memslot (SppModel deletes before it creates) any access to the pages
 * around the change exits too. x86 KVM decodes any instruction. arm64 KVM
 * only forwards an access whose fault syndrome describes it (ESR_EL2.ISV);
 * a load/store pair, a writeback (pre/post-index) form or a SIMD access has
 * none and KVM_RUN fails (ENOSYS). So on arm64 each access is a single
 * register-base load or store in inline assembly ("Q": base register, no
 * offset), which the compiler cannot turn into such a form.
 */
#if defined(__aarch64__)
static inline GUEST void store(uint64_t addr, uint32_t size, uint64_t value) {
  if (size == 1)
    __asm__ volatile("strb %w1, %0" : "=Q"(*(volatile uint8_t *)addr) : "r"(value) : "memory");
  else if (size == 2)
    __asm__ volatile("strh %w1, %0" : "=Q"(*(volatile uint16_t *)addr) : "r"(value) : "memory");
  else if (size == 4)
    __asm__ volatile("str %w1, %0" : "=Q"(*(volatile uint32_t *)addr) : "r"(value) : "memory");
  else
    __asm__ volatile("str %1, %0" : "=Q"(*(volatile uint64_t *)addr) : "r"(value) : "memory");
}

static inline GUEST uint64_t load64(uint64_t addr) {
  uint64_t v;
  __asm__ volatile("ldr %0, %1" : "=r"(v) : "Q"(*(const volatile uint64_t *)addr) : "memory");
  return v;
}
#else
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

static inline GUEST uint64_t load64(uint64_t addr) { return *(const volatile uint64_t *)addr; }
#endif

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
    for (uint64_t w = 0; w < (pages << 9); ++w) sum = ds_spp_read_step(sum, load64(base + w * 8));
    spp->read_sum = sum;
    report(self, DS_CMD_ITERATION_DONE);
  }
}
