/*
 * A multiboot kernel for QEMU's -kernel that only dirties memory: the
 * watched guest of the ring-alarm QEMU check (vm/qemu-alarm.sh). QEMU's
 * multiboot loader enters _start in 32-bit protected mode, paging off,
 * at CPL0. The loop increments one dword in every 4 KiB page from 4 MiB
 * up to 4 MiB + DIRTY_PAGES pages, forever: under dirty logging every
 * pass is a write fault per page, i.e. one dirty-ring push per page.
 * Each pass also bumps a counter at 0x3ff000, for a QMP reader's sake.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0
#define DIRTY_BASE 0x400000
#define DIRTY_PAGES 4096 /* 16 MiB: several times any ring under test */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
pass:
	movl $DIRTY_BASE, %edi
	movl $DIRTY_PAGES, %ecx
page:
	incl (%edi)
	addl $4096, %edi
	decl %ecx
	jnz page
	incl 0x3ff000
	jmp pass
