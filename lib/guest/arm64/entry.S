/*
 * arm64 guest entry and exception vectors. Lives in section
 * guest_text, which the host copies into guest memory at
 * arm64::SystemLayout::kCode; everything here is position independent.
 *
 * The vCPU starts at EL1h with interrupts masked and the MMU already on
 * (identity map, see arm64/guest_image.hpp), registers set by the host with
 * KVM_SET_ONE_REG (arm64::GuestImage::initial_regs):
 *   x0 = struct ds_shared *, x1 = struct ds_vcpu_params *,
 *   x2 = the guest program's entry, x3 = ds_arm64_vectors' guest address,
 *   sp (SP_EL1) = this vCPU's stack top.
 * The report address is Device memory, everything else Normal write-back.
 */
#include "protocol.h"

	.section guest_text, "ax"

	.globl ds_guest_entry
ds_guest_entry:
	msr	vbar_el1, x3
	isb
	blr	x2
1:	wfi
	b	1b

/*
 * VBAR_EL1's table: 16 entries of 128 bytes, 2 KiB aligned (so the section
 * is, and kCode keeps that alignment in the guest). Each entry passes its
 * offset to the common stub, which reports DS_CMD_EXCEPTION (protocol.h).
 */
	.balign 2048
	.globl ds_arm64_vectors
ds_arm64_vectors:
	.irp off, 0x000,0x080,0x100,0x180,0x200,0x280,0x300,0x380,0x400,0x480,0x500,0x580,0x600,0x680,0x700,0x780
	.balign 128
	mov	x0, #\off
	b	ds_arm64_exception
	.endr

ds_arm64_exception:
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	mrs	x3, far_el1
	mov	w4, #DS_CMD_EXCEPTION
	mov	x5, #DS_GUEST_MMIO_ADDR
	str	w4, [x5]
2:	wfi
	b	2b

	.section .note.GNU-stack, "", @progbits
