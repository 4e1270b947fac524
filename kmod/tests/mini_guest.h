/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest KVM guest the module's tests need: one VM, one vCPU at
 * MINI_GUEST_CODE_GPA (x86: real mode, CS:IP 0:0x1000; arm64: EL1h with
 * the MMU off, as KVM_ARM_VCPU_INIT leaves it, PC 0x1000), code in memslot
 * 0 (the first 64 KiB), and whatever further memslots a test adds. Each
 * program adds its own code and data (see ring_guest.c, spp_guest.c).
 *
 * A guest says "done" with HLT on x86 (KVM_EXIT_HLT). arm64 has no such
 * exit: its guests store to MINI_GUEST_DONE_GPA, which no memslot covers
 * (KVM_EXIT_MMIO, a write). mini_guest_done() tells the exit apart from
 * others on both.
 *
 * Setup functions return 0, 1 (failure) or 4 (skip: no /dev/kvm) and set
 * *why; errno is left as the failing call set it.
 */
#ifndef DIRTYSCOPE_TESTS_MINI_GUEST_H
#define DIRTYSCOPE_TESTS_MINI_GUEST_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MINI_GUEST_CODE_GPA 0x1000
#define MINI_GUEST_CODE_SLOT 0
#define MINI_GUEST_CODE_SIZE 0x10000
#define MINI_GUEST_DONE_GPA 0x10000000

/*
 * Guest code written in assembly for the target (arm64: the toolchain
 * encodes it; position-independent, copied to MINI_GUEST_CODE_GPA).
 * Defines name[] in this file's .rodata and name_size, its length in
 * bytes (computed by the assembler: subtracting two arrays in C is
 * undefined, and GCC does fold it to nonsense). Hidden: addressed
 * PC-relative; through the GOT, the assembler's section-relative
 * references to these local labels shared one GOT entry.
 */
#define MINI_GUEST_ASM(name, body)					\
	extern const unsigned char name[]				\
		__attribute__((visibility("hidden")));			\
	extern const unsigned long name##_size				\
		__attribute__((visibility("hidden")));			\
	__asm__(".pushsection .rodata\n.balign 8\n" #name ":\n"	\
		body "\n" #name "_end:\n.balign 8\n" #name "_size:\n"	\
		".quad " #name "_end - " #name "\n.popsection\n")

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
/*
 * The same for vCPU id (replacing mg->vcpu and mg->run: a VM with several
 * vCPUs keeps one struct mini_guest per vCPU, copies of the first).
 */
int mini_guest_add_vcpu_id(struct mini_guest *mg, int id, const char **why);
/* The last exit was the guest's "done" (see above). */
bool mini_guest_done(const struct mini_guest *mg);
/* mini_guest_add_code() with code that only says "done". */
int mini_guest_add_done_code(struct mini_guest *mg, const char **why);
/* KVM_RUN, retried on EINTR; 0 or -1 (errno set). */
int mini_guest_run(struct mini_guest *mg);
/* Closes the fds and unmaps kvm_run and the code; not other slots. */
void mini_guest_close(struct mini_guest *mg);

#endif
