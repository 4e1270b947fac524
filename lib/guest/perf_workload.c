/*
 * dirty_log_perf's guest program (see protocol.h): one pass per host
 * request over the vCPU's region, in page order, like the kernel's
 * memstress guest. Same freestanding rules as workload.c.
 */
#include "guest_report.h"

void ds_perf_guest_main(struct ds_shared *shared, struct ds_vcpu_params *self);

GUEST void ds_perf_guest_main(struct ds_shared *shared, struct ds_vcpu_params *self) {
  for (;;) {
    /* Re-read each pass: the host changes them between passes (populate
     * writes every page, iterations every write_stride-th). */
    const uint64_t stamp = shared->iteration;
    const uint64_t stride = self->write_stride ? self->write_stride : 1;
    const uint64_t base = self->region_gva;
    const uint64_t pages = self->region_pages;
    uint64_t written = 0;
    /* A countdown instead of `page % stride`: no division per page, which
     * matters when KVM emulates the guest (CPL0 on PVM). */
    uint64_t until_write = 0;
    for (uint64_t page = 0; page < pages; ++page) {
      volatile uint64_t *word = (volatile uint64_t *)(base + (page << 12));
      if (until_write == 0) {
        *word = stamp;
        ++written;
        until_write = stride;
      } else {
        (void)*word;  /* keep the page mapped and accessed, not dirtied */
      }
      --until_write;
    }
    DS_STORE_RELEASE(self->writes, self->writes + written);
    report(self, DS_CMD_ITERATION_DONE);
  }
}
