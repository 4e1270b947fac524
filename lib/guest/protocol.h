/*
 * Host <-> guest protocol of the dirtyscope workload (x86-64).
 *
 * Shared by the guest code (C and assembly) and the host library.
 *
 * The guest talks to the host only by `out %eax, %dx` to DS_GUEST_PORT; the
 * host sees KVM_EXIT_IO and reads the command from the 4 data bytes. The
 * workload issues it through `int $DS_GUEST_CALL_VECTOR` with the command
 * in eax, and a CPL0 handler does the `out`: user-mode port I/O needs IOPL
 * or a TSS I/O bitmap, which not every KVM backend honours (a PVM backend
 * raised #GP even with IOPL 3: docs/findings.md), while a gate into CPL0 works.
 * At CPL0 the workload uses `out` directly: there KVM may run the guest in
 * its instruction emulator, which handles `out` but not `int`.
 *
 *   DS_CMD_PAUSED     the vCPU saw its pause_request and stopped writing;
 *                     every write it made before is complete. The host
 *                     resumes it by re-entering KVM_RUN (after clearing
 *                     pause_request, or it exits again at once).
 *   DS_CMD_EXCEPTION  an exception reached the guest's IDT: rdi = vector,
 *                     rsi = error code, rcx = faulting RIP (CR2 in sregs).
 *                     The vCPU never continues.
 *   DS_CMD_ITERATION_DONE  (perf workload only) the vCPU finished one pass
 *                     over its region; every write of the pass is complete.
 *                     The host starts the next pass by re-entering KVM_RUN,
 *                     so a vCPU waits between passes without spinning.
 *
 * Parameters live in shared pages (struct ds_shared, guest physical
 * SystemLayout::kShared): the host writes `iteration` (the stamp) and each
 * vCPU's region, seed and write mix; the guest writes its `writes` counter
 * and its progress through the mix.
 *
 * Every write of the verified workload makes the page it writes tell who
 * wrote it and when: u64 0 = the iteration (stamp), u64 1 =
 * DS_WRITE_WORD(writer_tag, seq), where seq is the writer's `writes` before
 * this write. The second word is one aligned store, so it never tears, even
 * when two vCPUs write one page; both store the same stamp (the stamp only
 * changes while every vCPU is paused). `writes` is incremented after both
 * stores, so a host that reads writes == n knows writes 0..n-1 are in
 * memory (x86 keeps stores in order): that is what lets the verifier judge
 * each collection on its own.
 *
 * The write mix (struct ds_vcpu_mix), interleaved in one loop:
 *   - sweep: [sweep_first, +sweep_count), in order, once per iteration; the
 *     host moves the window so a run covers every page of test memory;
 *   - carry: [carry_first, +carry_count), pages an earlier collection
 *     reported (the previous iteration's sweep), written again;
 *   - recent: [recent_first, +recent_count), published while the vCPU runs
 *     by bumping recent_gen (the range is stored first): pages reported by
 *     the collection that just ran, written again after it; the guest
 *     reports DS_RECENT_PROGRESS(gen, pages done) in recent_progress;
 *   - random: a pseudo-random page (xorshift64), every DS_RANDOM_EVERY-th
 *     step while other parts are pending, every step once they are done.
 *
 * Four guest programs share this layout; the host picks one per VM by the
 * entry address it gives the vCPU (x86::GuestProgram):
 *   - ds_guest_main (workload.c): the verified random-page writer above.
 *   - ds_perf_guest_main (perf_workload.c): dirty_log_perf's workload. Each
 *     pass touches every page of [region_gva, region_gva + region_pages
 *     pages) in order, writing `iteration` to the first u64 of every
 *     write_stride-th page and reading the others, adds the pages it wrote
 *     to `writes`, and reports DS_CMD_ITERATION_DONE. pause_request, rng_state
 *     and writer_tag are unused there.
 *   - ds_spp_guest_main (spp_workload.c): spp_test's workload. Each round
 *     runs the store plan of spp_plan.h (round from struct ds_vcpu_spp,
 *     seed = rng_state) over [region_gva, + region_pages pages), bumping
 *     `writes` after each store, then reads every word of those pages
 *     into ds_vcpu_spp.read_sum and reports DS_CMD_ITERATION_DONE.
 *   - ds_migrate_guest_main (migrate_workload.c): `dirtyscope migrate`'s
 *     source workload (docs/migration.md). Each vCPU owns [region_gva,
 *     + region_pages pages) and runs periods of struct ds_migrate_params,
 *     counting them in ds_vcpu_migrate.periods. Each write adds 1 to the
 *     page's u64 2 before the usual stamp and writer words, so the sum of
 *     u64 2 over a vCPU's pages equals its `writes` exactly when every
 *     write is in memory: when the host bumps check_gen, the guest sums its
 *     pages and reports DS_MIGRATE_CHECK(gen, sum == writes) in
 *     ds_vcpu_migrate.check. A destination VM that resumes from migrated
 *     memory and registers checks itself that way.
 *
 * Protocol changes keep every existing offset: new per-vCPU fields come out
 * of reserved[] only (write_stride took ds_vcpu_params.reserved[0]).
 */
#ifndef DIRTYSCOPE_GUEST_PROTOCOL_H
#define DIRTYSCOPE_GUEST_PROTOCOL_H

#define DS_GUEST_PORT 0x0d15
/*
 * arm64 (lib/src/arm64/) has no port I/O: the guest reports with
 * one 32-bit store of the command to DS_GUEST_MMIO_ADDR, a guest physical
 * address no memslot covers, which the host sees as KVM_EXIT_MMIO
 * (is_write, len 4, the command in data). Exceptions report
 * DS_CMD_EXCEPTION with x0 = vector offset in VBAR_EL1's table,
 * x1 = ESR_EL1, x2 = ELR_EL1, x3 = FAR_EL1 (read them with
 * KVM_GET_ONE_REG). Every struct below has the same layout on both (LP64).
 */
#define DS_GUEST_MMIO_ADDR 0xc0000000
#define DS_CMD_PAUSED 1
#define DS_CMD_EXCEPTION 2
#define DS_CMD_ITERATION_DONE 3

/* GDT selectors (index << 3 | RPL). */
#define DS_SEL_KERNEL_CS 0x08
#define DS_SEL_KERNEL_DS 0x10
#define DS_SEL_USER_DS 0x1b
#define DS_SEL_USER_CS 0x23
#define DS_SEL_TSS 0x28

/* RFLAGS for the workload: only the reserved bit 1 (interrupts off). */
#define DS_USER_RFLAGS 0x0002

/*
 * Software interrupt the workload uses to reach DS_GUEST_PORT (gate DPL3).
 * The breakpoint vector, because it is the one gate every OS opens to user
 * mode: a PVM backend answered `int $0x80` or `int $0x21` from CPL3 with #UD
 * but delivered `int $3` through the guest's IDT (docs/findings.md).
 */
#define DS_GUEST_CALL_VECTOR 0x3
#define DS_IDT_ENTRIES 32

#define DS_MAX_VCPUS 64

/* The second word of a written page: writer tag (vCPU index + 1) in the top
 * 16 bits, the writer's sequence number in the low 48. */
#define DS_WRITER_SHIFT 48
#define DS_SEQ_MASK ((1ULL << DS_WRITER_SHIFT) - 1)
#define DS_WRITE_WORD(tag, seq) (((uint64_t)(tag) << DS_WRITER_SHIFT) | ((seq) & DS_SEQ_MASK))
#define DS_RECENT_PROGRESS(gen, done) (((uint64_t)(gen) << 32) | (uint32_t)(done))
#define DS_RANDOM_EVERY 4
/* ds_vcpu_migrate.check: the generation checked and 1 = counters agree. */
#define DS_MIGRATE_CHECK(gen, ok) (((uint64_t)(gen) << 1) | ((ok) ? 1u : 0u))

#ifndef __ASSEMBLER__
#include <stdint.h>

struct ds_vcpu_params {
  uint64_t region_gva;              /* first byte of the test region */
  uint64_t region_pages;            /* 4 KiB pages in it */
  uint64_t rng_state;               /* xorshift64 seed, never 0 */
  volatile uint64_t pause_request;  /* host: 1 = stop writing and report */
  volatile uint64_t writes;         /* guest: writes made so far */
  uint64_t cpl;                     /* 3: report via the int gate; 0: `out` directly */
  uint64_t writer_tag;              /* vCPU index + 1, stored beside each stamp */
  uint64_t write_stride;            /* perf: write every Nth page, read the rest (0 = 1) */
};

/* One vCPU's write mix (see above). Host fields change only while the
 * vCPU is paused, except recent_*, published through recent_gen. */
struct ds_vcpu_mix {
  uint64_t sweep_first;               /* host: region page */
  uint64_t sweep_count;               /* host */
  volatile uint64_t sweep_done;       /* guest: pages of the window written (host zeroes it) */
  uint64_t carry_first;               /* host: region page */
  uint64_t carry_count;               /* host */
  volatile uint64_t carry_done;       /* guest (host zeroes it) */
  volatile uint64_t recent_first;     /* host: region page */
  volatile uint64_t recent_count;     /* host */
  volatile uint64_t recent_gen;       /* host: bumped after recent_first/count are stored */
  volatile uint64_t recent_progress;  /* guest: DS_RECENT_PROGRESS(gen seen, pages done) */
  uint64_t reserved[6];
};

/* One vCPU's SPP round (ds_spp_guest_main); host fields change only
 * between rounds. */
struct ds_vcpu_spp {
  uint64_t round;             /* host: input to the store plan */
  uint64_t stores;            /* host: stores in this round */
  volatile uint64_t read_sum; /* guest: ds_spp_read_sum of its pages after the stores */
  uint64_t reserved;
};

/* The migrate workload's period (ds_migrate_guest_main), for every vCPU;
 * set before the vCPUs first run. check_gen may change at any time. */
struct ds_migrate_params {
  uint64_t hot_pages;          /* first pages of each vCPU's range, every period */
  uint64_t dirty_pages;        /* dirtyram's pages per period, in order */
  uint64_t random_pages;       /* pseudo-random pages per period */
  uint64_t pause_tsc;          /* TSC ticks to wait after each period */
  volatile uint64_t check_gen; /* host: bumped to ask each vCPU for a self-check */
  uint64_t populate;           /* 1: first write each of the vCPU's pages once, then periods */
  uint64_t reserved[1];
};

/* One vCPU's migrate progress, written by the guest. */
struct ds_vcpu_migrate {
  volatile uint64_t periods;   /* complete periods */
  volatile uint64_t check;     /* DS_MIGRATE_CHECK of the last self-check */
  volatile uint64_t check_sum; /* the sum of its pages' counters it found */
};

struct ds_shared {
  volatile uint64_t iteration; /* the stamp every write stores */
  struct ds_migrate_params migrate;
  struct ds_vcpu_params vcpu[DS_MAX_VCPUS];
  struct ds_vcpu_mix mix[DS_MAX_VCPUS]; /* by vCPU index (writer_tag - 1) */
  struct ds_vcpu_spp spp[DS_MAX_VCPUS]; /* by vCPU index (writer_tag - 1) */
  struct ds_vcpu_migrate migrated[DS_MAX_VCPUS]; /* by vCPU index (writer_tag - 1) */
};

#ifdef __cplusplus
#define DS_STATIC_ASSERT static_assert
#else
#define DS_STATIC_ASSERT _Static_assert
#endif
DS_STATIC_ASSERT(sizeof(struct ds_vcpu_params) == 64, "one cache line per vCPU");
/* Offsets are ABI between host and guest builds: pin the ones added later. */
DS_STATIC_ASSERT(__builtin_offsetof(struct ds_vcpu_params, writer_tag) == 48, "writer_tag moved");
DS_STATIC_ASSERT(__builtin_offsetof(struct ds_vcpu_params, write_stride) == 56, "write_stride moved");
DS_STATIC_ASSERT(sizeof(struct ds_vcpu_mix) == 128, "two cache lines per vCPU");
DS_STATIC_ASSERT(sizeof(struct ds_vcpu_spp) == 32, "half a cache line per vCPU");
DS_STATIC_ASSERT(sizeof(struct ds_migrate_params) == 56, "took ds_shared.reserved[7]");
DS_STATIC_ASSERT(__builtin_offsetof(struct ds_shared, vcpu) == 64, "vcpu[] moved");
#undef DS_STATIC_ASSERT
#endif

#endif
