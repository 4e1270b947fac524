/*
 * Guest entry and exception stubs. Lives in section guest_text, which the
 * host copies into guest memory; everything here is position independent.
 *
 * Entry registers (set by the host):
 *   rdi = struct ds_shared *, rsi = struct ds_vcpu_params *,
 *   rdx = 1 to run the workload at CPL3, 0 to stay at CPL0,
 *   rcx = user stack top, r8 = address of ds_guest_main, rsp = kernel stack.
 */
#include "protocol.h"

	.section guest_text, "ax"
	.code64

	.globl ds_guest_entry
ds_guest_entry:
	test	%rdx, %rdx
	jz	1f
	/* Drop to CPL3 through iretq: SS, RSP, RFLAGS, CS, RIP. */
	pushq	$DS_SEL_USER_DS
	pushq	%rcx
	pushq	$DS_USER_RFLAGS
	pushq	$DS_SEL_USER_CS
	pushq	%r8
	iretq
1:	call	*%r8
2:	hlt
	jmp	2b

/*
 * One 16-byte stub per exception vector 0..31, so the host can compute each
 * stub's address as ds_exception_stubs + 16 * vector. Vectors where the CPU
 * pushes no error code push a zero to keep one frame layout.
 */
	.balign 16
	.globl ds_exception_stubs
ds_exception_stubs:
	.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign 16
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	ds_exception_common
	.endr

/* int $DS_GUEST_CALL_VECTOR: eax = command; does the port I/O at CPL0. */
	.balign 16
	.globl ds_guest_call
ds_guest_call:
	pushq	%rdx
	movw	$DS_GUEST_PORT, %dx
	outl	%eax, %dx
	popq	%rdx
	iretq

	.balign 16
ds_exception_common:
	popq	%rdi			/* vector */
	popq	%rsi			/* error code */
	movq	(%rsp), %rcx		/* faulting RIP */
	movl	$DS_CMD_EXCEPTION, %eax
	movw	$DS_GUEST_PORT, %dx
	outl	%eax, %dx
3:	hlt
	jmp	3b

	.section .note.GNU-stack, "", @progbits
