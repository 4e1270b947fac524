// SPDX-License-Identifier: GPL-2.0
/* The dirty-ring guest of dirtyscope_kmod_test (see ring_guest.h). */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktap.h"
#include "ring_guest.h"

#define DATA_GPA 0x10000
#define DATA_SLOT 1
#define NPAGES RING_GUEST_NPAGES
#define RING_ENTRIES RING_GUEST_ENTRIES

#if defined(__aarch64__)
/*
 * The same loop at EL1 with the MMU off; "done" is the store to
 * MINI_GUEST_DONE_GPA, after which the next KVM_RUN starts over. arm64
 * offers the ring only in its ACQ_REL flavour (same layout and protocol:
 * this file's harvest already uses acquire/release), and Debian 12's
 * arm64 uapi headers (6.1) predate arm64's ring: the mmap offset is
 * arm64's KVM_DIRTY_LOG_PAGE_OFFSET, 64 pages.
 */
#define RING_CAP KVM_CAP_DIRTY_LOG_RING_ACQ_REL
#define RING_CAP_NAME "DIRTY_LOG_RING_ACQ_REL"
#define RING_PAGE_OFFSET 64
_Static_assert(DATA_GPA == 0x10000 && NPAGES == 200, "guest code below");
MINI_GUEST_ASM(guest_code,
	"0: movz x0, #0x1, lsl #16\n"		/* DATA_GPA */
	"mov x1, #200\n"			/* NPAGES */
	"mov w3, #0xaa\n"
	"1: strb w3, [x0]\n"
	"add x0, x0, #0x1000\n"
	"subs x1, x1, #1\n"
	"b.ne 1b\n"
	"movz x2, #0x1000, lsl #16\n"		/* MINI_GUEST_DONE_GPA */
	"str w3, [x2]\n"
	"b 0b");
#define GUEST_CODE_LEN guest_code_size
#else
#define RING_CAP KVM_CAP_DIRTY_LOG_RING
#define RING_CAP_NAME "DIRTY_LOG_RING"
#define RING_PAGE_OFFSET KVM_DIRTY_LOG_PAGE_OFFSET
static const unsigned char guest_code[] = {
	0xb8, 0x00, DATA_GPA >> 12,		/* mov ax, DATA_GPA >> 4 */
	0xb9, NPAGES & 0xff, NPAGES >> 8,	/* mov cx, NPAGES */
	0x8e, 0xd8,				/* 1: mov ds, ax */
	0xc6, 0x06, 0x00, 0x00, 0xaa,		/* mov byte [0], 0xaa */
	0x05, 0x00, 0x01,			/* add ax, 0x100 (4 KiB) */
	0xe2, 0xf4,				/* loop 1b */
	0xf4,					/* hlt */
	0xeb, 0xeb,				/* jmp start */
};
#define GUEST_CODE_LEN sizeof(guest_code)
#endif

int ring_guest_create(struct ring_guest *g, const char **why)
{
	return ring_guest_create_from(g, -1, why);
}

int ring_guest_create_from(struct ring_guest *g, int kvm_fd, const char **why)
{
	struct kvm_enable_cap cap = { .cap = RING_CAP };
	int r;

	memset(g, 0, sizeof(*g));
	r = kvm_fd < 0 ? mini_guest_open(&g->mg, why) :
			 mini_guest_open_from(&g->mg, kvm_fd, why);
	if (r)
		return r;
	r = ioctl(g->mg.vm, KVM_CHECK_EXTENSION, RING_CAP);
	/* A failing call is not "capability 0": a skip would hide it. */
	if (r < 0) {
		*why = "KVM_CHECK_EXTENSION(" RING_CAP_NAME ") failed";
		return 1;
	}
	if (r < RING_ENTRIES * (int)sizeof(struct kvm_dirty_gfn)) {
		*why = "KVM_CAP_" RING_CAP_NAME " unsupported";
		return 4;
	}
	/* The ring must be enabled before the first vCPU exists. */
	cap.args[0] = RING_ENTRIES * sizeof(struct kvm_dirty_gfn);
	if (ioctl(g->mg.vm, KVM_ENABLE_CAP, &cap) < 0) {
		*why = "KVM_ENABLE_CAP(" RING_CAP_NAME ") failed";
		return 1;
	}
	r = mini_guest_add_code(&g->mg, guest_code, GUEST_CODE_LEN, why) ?:
	    mini_guest_add_slot(&g->mg, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES,
				DATA_GPA, NPAGES * 4096UL, &g->data, why) ?:
	    mini_guest_add_vcpu(&g->mg, why);
	if (r)
		return r;
	g->ring = mmap(NULL, cap.args[0], PROT_READ | PROT_WRITE, MAP_SHARED,
		       g->mg.vcpu, RING_PAGE_OFFSET * getpagesize());
	if (g->ring == MAP_FAILED) {
		*why = "mmap dirty ring failed";
		return 1;
	}
	return 0;
}

/*
 * Collect every published entry, then hand them back. The acquire load of
 * flags pairs with KVM's release of DIRTY; the release store of RESET
 * makes our reads of slot/offset happen before KVM may reuse the entry.
 */
static int harvest_and_reset(struct ring_guest *g)
{
	uint64_t batch = 0;

	for (;;) {
		struct kvm_dirty_gfn *e = &g->ring[g->fetch % RING_ENTRIES];
		uint32_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

		if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (e->slot == DATA_SLOT && e->offset < NPAGES)
			g->seen[e->offset] = 1;
		else
			g->bad_entries++;
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		g->fetch++;
		batch++;
	}
	g->harvested += batch;
	if (batch > g->max_batch)
		g->max_batch = batch;
	if (ioctl(g->mg.vm, KVM_RESET_DIRTY_RINGS, 0) < 0)
		return -errno;
	g->reset_ioctls++;
	if (batch)
		g->nonempty_resets++;
	return 0;
}

int ring_guest_round(struct ring_guest *g)
{
	memset(g->seen, 0, sizeof(g->seen));
	for (;;) {
		if (mini_guest_run(&g->mg)) {
			diag("KVM_RUN: %s", strerror(errno));
			return -1;
		}
		switch (g->mg.run->exit_reason) {
		case KVM_EXIT_DIRTY_RING_FULL:
			g->full_exits++;
			if (harvest_and_reset(g))
				return -1;
			break;
		default:
			if (!mini_guest_done(&g->mg)) {
				diag("unexpected exit reason %u", g->mg.run->exit_reason);
				return -1;
			}
			if (harvest_and_reset(g))
				return -1;
			for (int i = 0; i < NPAGES; i++)
				if (!g->seen[i]) {
					diag("page %d written but not reported", i);
					return -1;
				}
			return 0;
		}
	}
}

void ring_guest_destroy(struct ring_guest *g)
{
	if (g->ring && g->ring != MAP_FAILED)
		munmap(g->ring, RING_ENTRIES * sizeof(struct kvm_dirty_gfn));
	g->ring = NULL;
	mini_guest_close(&g->mg);
	if (g->data && g->data != MAP_FAILED)
		munmap(g->data, NPAGES * 4096UL);
	g->data = NULL;
}
