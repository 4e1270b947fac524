// SPDX-License-Identifier: GPL-2.0
/*
 * module_churn's VM creator: without pause, a dirty-ring VM (ring_guest.c)
 * then a VM with dirty logging, each dirtying pages so the probes fire,
 * and each checking what KVM reported. Pauses while kvm.ko is reloaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mini_guest.h"
#include "module_churn.h"
#include "ring_guest.h"

#define LOG_SLOT 1
#define LOG_GPA 0x10000
#define LOG_NPAGES 16

/* Writes one byte to each of LOG_NPAGES pages, then says done (mini_guest.h). */
#if defined(__aarch64__)
_Static_assert(LOG_GPA == 0x10000 && LOG_NPAGES == 16, "guest code below");
MINI_GUEST_ASM(log_code,
	"movz x0, #0x1, lsl #16\n"		/* LOG_GPA */
	"mov x1, #16\n"			/* LOG_NPAGES */
	"mov w3, #0x55\n"
	"1: strb w3, [x0]\n"
	"add x0, x0, #0x1000\n"
	"subs x1, x1, #1\n"
	"b.ne 1b\n"
	"movz x2, #0x1000, lsl #16\n"		/* MINI_GUEST_DONE_GPA */
	"str w3, [x2]\n"
	"b .");
#define LOG_CODE_LEN log_code_size
#else
static const unsigned char log_code[] = {
	0xb8, 0x00, LOG_GPA >> 12,		/* mov ax, LOG_GPA >> 4 */
	0xb9, LOG_NPAGES, 0x00,			/* mov cx, LOG_NPAGES */
	0x8e, 0xd8,				/* 1: mov ds, ax */
	0xc6, 0x06, 0x00, 0x00, 0x55,		/* mov byte [0], 0x55 */
	0x05, 0x00, 0x01,			/* add ax, 0x100 (4 KiB) */
	0xe2, 0xf4,				/* loop 1b */
	0xf4,					/* hlt */
};
#define LOG_CODE_LEN sizeof(log_code)
#endif

/* A VM with KVM_MEM_LOG_DIRTY_PAGES: every page written must be in the log. */
static int log_vm(const char **why)
{
	unsigned long bitmap[1] = { 0 };
	struct kvm_dirty_log log = { .slot = LOG_SLOT, .dirty_bitmap = bitmap };
	struct mini_guest mg;
	void *data = NULL;
	int r;

	r = mini_guest_open(&mg, why) ?:
	    mini_guest_add_code(&mg, log_code, LOG_CODE_LEN, why) ?:
	    mini_guest_add_slot(&mg, LOG_SLOT, KVM_MEM_LOG_DIRTY_PAGES, LOG_GPA,
				LOG_NPAGES * 4096UL, &data, why) ?:
	    mini_guest_add_vcpu(&mg, why);
	if (!r && (mini_guest_run(&mg) || !mini_guest_done(&mg))) {
		*why = "KVM_RUN did not stop at the guest's done";
		r = 1;
	}
	if (!r && ioctl(mg.vm, KVM_GET_DIRTY_LOG, &log) < 0) {
		*why = "KVM_GET_DIRTY_LOG failed";
		r = 1;
	}
	if (!r && bitmap[0] != (1UL << LOG_NPAGES) - 1) {
		*why = "dirty log misses written pages";
		r = 1;
	}
	mini_guest_close(&mg);
	if (data && data != MAP_FAILED)
		munmap(data, LOG_NPAGES * 4096UL);
	return r;
}

static int ring_vm(const char **why)
{
	struct ring_guest g;
	int r = ring_guest_create(&g, why);

	if (!r && ring_guest_round(&g)) {
		*why = "ring round failed (a page written but not reported?)";
		r = 1;
	}
	ring_guest_destroy(&g);
	return r;
}

void vm_creator(struct shared *sh)
{
	for (uint64_t i = 0; !LOAD(sh->stop); i++) {
		const char *why = "";
		int r;

		/* kvm.ko can only go when no VM and no /dev/kvm fd is left. */
		if (LOAD(sh->pause)) {
			STORE(sh->paused, 1);
			while (LOAD(sh->pause) && !LOAD(sh->stop))
				usleep(1000);
			STORE(sh->paused, 0);
			continue;
		}
		r = i % 2 ? log_vm(&why) : ring_vm(&why);
		if (r) {
			sh->vm_failures++;
			note(sh->vm_failure, sizeof(sh->vm_failure), sh->vm_failures,
			     "%s VM %" PRIu64 ": %s: %s", i % 2 ? "logging" : "ring", i, why,
			     strerror(errno));
		} else if (i % 2) {
			sh->log_vms++;
		} else {
			sh->ring_vms++;
		}
	}
}
