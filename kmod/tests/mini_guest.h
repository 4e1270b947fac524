/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest KVM guest the module's tests need: one VM, one vCPU in real
 * mode at CS:IP 0:MINI_GUEST_CODE_GPA, code in memslot 0 (the first 64
 * KiB), and whatever further memslots a test adds. Each program adds its
 * own code and data (see ring_guest.c, spp_guest.c).
 *
 * Setup functions return 0, 1 (failure) or 4 (skip: no /dev/kvm) and set
 * *why; errno is left as the failing call set it.
 */
#ifndef DIRTYSCOPE_TESTS_MINI_GUEST_H
#define DIRTYSCOPE_TESTS_MINI_GUEST_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#define MINI_GUEST_CODE_GPA 0x1000
#define MINI_GUEST_CODE_SLOT 0
#define MINI_GUEST_CODE_SIZE 0x10000

struct mini_guest {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	void *code;		/* memslot 0, MINI_GUEST_CODE_SIZE bytes */
};

/* Opens /dev/kvm and creates the VM (nothing else yet). */
int mini_guest_open(struct mini_guest *mg, const char **why);
/* The same on an already open /dev/kvm (dup'ed; e.g. after dropping root). */
int mini_guest_open_from(struct mini_guest *mg, int kvm_fd, const char **why);
/* Memslot 0 at GPA 0 with code copied to MINI_GUEST_CODE_GPA. */
int mini_guest_add_code(struct mini_guest *mg, const void *code, size_t len,
			const char **why);
/* Another memslot backed by fresh anonymous memory, returned in *host. */
int mini_guest_add_slot(struct mini_guest *mg, uint32_t slot, uint32_t flags,
			uint64_t gpa, size_t size, void **host, const char **why);
/* vCPU 0, its kvm_run mapped, in real mode at the code. */
int mini_guest_add_vcpu(struct mini_guest *mg, const char **why);
/* KVM_RUN, retried on EINTR; 0 or -1 (errno set). */
int mini_guest_run(struct mini_guest *mg);
/* Closes the fds and unmaps kvm_run and the code; not other slots. */
void mini_guest_close(struct mini_guest *mg);

#endif
