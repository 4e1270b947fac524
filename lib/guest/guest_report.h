/*
 * What every guest program needs: the section attribute that gets code
 * copied into the guest, and the one way to talk to the host (see
 * protocol.h). Freestanding rules as in workload.c.
 */
#ifndef DIRTYSCOPE_GUEST_REPORT_H
#define DIRTYSCOPE_GUEST_REPORT_H

#include "protocol.h"

#define GUEST __attribute__((section("guest_text"), used))

#if defined(__aarch64__)
/* One store to the MMIO address (see protocol.h). The barrier orders every
 * earlier write of the workload before it, so the host that handles the
 * exit finds them in memory (what x86's in-order stores give for free).
 * The address is built in a register from an immediate: no literal pool,
 * which would be outside guest_text's rules. */
static inline GUEST void report(const struct ds_vcpu_params *self, uint32_t cmd) {
  (void)self;
  __asm__ volatile("dmb ish\n\tstr %w0, [%1]"
                   :
                   : "r"(cmd), "r"((uint64_t)DS_GUEST_MMIO_ADDR)
                   : "memory");
}
#else
/* At CPL3 through the gate into CPL0, at CPL0 directly (see protocol.h). */
static inline GUEST void report(const struct ds_vcpu_params *self, uint32_t cmd) {
  if (self->cpl == 3)
    __asm__ volatile("int %1" : : "a"(cmd), "i"(DS_GUEST_CALL_VECTOR) : "memory");
  else
    __asm__ volatile("outl %0, %w1" : : "a"(cmd), "Nd"(DS_GUEST_PORT) : "memory");
}
#endif

/*
 * Publishing to a host thread that reads while the vCPU runs: `writes`
 * after the page's stores, `recent_gen` before the range it announces.
 * x86 keeps stores and loads in order, so there these are the plain
 * volatile accesses they always were (same code). arm64 does not: the
 * store is a release (stlr), the load an acquire (ldar); the host's reads
 * of `writes` pair with them.
 */
#if defined(__aarch64__)
#define DS_STORE_RELEASE(lv, v) __asm__ volatile("stlr %1, %0" : "=Q"(lv) : "r"((uint64_t)(v)) : "memory")
static inline GUEST uint64_t ds_load_acquire(const volatile uint64_t *p) {
  uint64_t v;
  __asm__ volatile("ldar %0, %1" : "=r"(v) : "Q"(*p) : "memory");
  return v;
}
#define DS_LOAD_ACQUIRE(lv) ds_load_acquire(&(lv))
#else
#define DS_STORE_RELEASE(lv, v) ((lv) = (v))
#define DS_LOAD_ACQUIRE(lv) (lv)
#endif

/* The words of page `page` of the vCPU's range. */
static inline GUEST volatile uint64_t *page_words(const struct ds_vcpu_params *self, uint64_t page) {
  return (volatile uint64_t *)(self->region_gva + (page << 12));
}

/* One verified write: the stamp, then who and which write, then the count
 * (the order the host relies on, see protocol.h). */
static inline GUEST void write_page(const struct ds_shared *shared, struct ds_vcpu_params *self,
                                    uint64_t page) {
  volatile uint64_t *slot = page_words(self, page);
  const uint64_t seq = self->writes;
  slot[0] = shared->iteration;
  slot[1] = DS_WRITE_WORD(self->writer_tag, seq);
  DS_STORE_RELEASE(self->writes, seq + 1);
}

/* The guest programs' pseudo-random pages (xorshift64; never 0 from a
 * non-zero seed). */
static inline GUEST uint64_t xorshift64(uint64_t x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

#endif
