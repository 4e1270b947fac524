/*
 * The guest workload: the write mix of protocol.h. Compiled with
 * general-purpose registers only (no SSE/AVX: software KVM backends may run
 * guest code through KVM's instruction emulator, which lacks most SIMD) and
 * placed in guest_text so the host can copy it into the guest. It must not
 * reference anything outside that section: no globals, no string literals,
 * no jump tables.
 */
#include "guest_report.h"

void ds_guest_main(struct ds_shared *shared, struct ds_vcpu_params *self);

GUEST void ds_guest_main(struct ds_shared *shared, struct ds_vcpu_params *self) {
  struct ds_vcpu_mix *mix = &shared->mix[self->writer_tag - 1];
  uint64_t rng = self->rng_state;
  uint64_t recent_gen = 0, recent_first = 0, recent_count = 0, recent_done = 0;
  uint64_t step = 0;
  for (;;) {
    if (self->pause_request) {
      /* All earlier writes are complete: the host may now verify. */
      report(self, DS_CMD_PAUSED);
      continue;
    }
    int pending = 0;
    uint64_t done = mix->sweep_done;
    if (done < mix->sweep_count) {
      write_page(shared, self, mix->sweep_first + done);
      mix->sweep_done = done + 1;
      pending = 1;
    }
    done = mix->carry_done;
    if (done < mix->carry_count) {
      write_page(shared, self, mix->carry_first + done);
      mix->carry_done = done + 1;
      pending = 1;
    }
    const uint64_t gen = DS_LOAD_ACQUIRE(mix->recent_gen);
    if (gen != recent_gen) {
      /* The host stored the range before the generation (x86 keeps both
       * stores and loads in order; arm64 loads gen with acquire): this
       * range is the new one. */
      recent_gen = gen;
      recent_first = mix->recent_first;
      recent_count = mix->recent_count;
      recent_done = 0;
      mix->recent_progress = DS_RECENT_PROGRESS(gen, 0);
    }
    if (recent_done < recent_count) {
      write_page(shared, self, recent_first + recent_done);
      ++recent_done;
      mix->recent_progress = DS_RECENT_PROGRESS(gen, recent_done);
      pending = 1;
    }
    if (!pending || ++step % DS_RANDOM_EVERY == 0) {
      rng = xorshift64(rng);
      write_page(shared, self, rng % self->region_pages);
    }
  }
}
