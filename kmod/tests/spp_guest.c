// SPDX-License-Identifier: GPL-2.0
/* spp_kmod_test's guest and userspace SPP decisions (see spp_guest.h). */
#include <errno.h>
#include <linux/dirtyscope.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "ktap.h"
#include "spp_guest.h"

#define SPP_SLOT 1
#define SPP_BYTES (SPP_GUEST_PAGES * 4096UL)
/* 8-byte store values live in the code slot, read with a CS override. */
#define CONST_GPA 0x3000

/* Offsets are from SPP_GUEST_GPA; the guest's DS points there. */
struct store {
	uint16_t off;
	uint8_t size;
};

static const struct store stores[] = {
	{ 0x000, 1 }, { 0x07f, 1 }, { 0x080, 1 }, { 0x5a3, 1 }, { 0xfff, 1 },
	{ 0x07f, 2 },			/* sub-pages 0 and 1 */
	{ 0x100, 2 }, { 0x1fe, 2 },
	{ 0x8ff, 2 },			/* 17 and 18 */
	{ 0x0fe, 4 },			/* 1 and 2 */
	{ 0x200, 4 },
	{ 0x37d, 4 },			/* 6 and 7 */
	{ 0xc00, 4 },
	{ 0x17c, 8 },			/* 2 and 3 */
	{ 0x400, 8 }, { 0x7f8, 8 }, { 0xf80, 8 },
	{ 0xffe, 4 },			/* page 0 sub-page 31 + page 1 sub-page 0 */
	{ 0xffc, 8 },			/* the same, 4 + 4 bytes */
	{ 0x1010, 1 },
	{ 0x187f, 2 },			/* page 1, 16 and 17 */
	{ 0x1ff8, 8 },
	{ 0x1bc0, 4 },
};
#define NSTORES (int)(sizeof(stores) / sizeof(stores[0]))

bool spp_rule_allows(uint32_t vector, uint64_t gpa, uint32_t len)
{
	unsigned int first = (gpa & 4095) / DIRTYSCOPE_SPP_SUBPAGE_SIZE;
	unsigned int last = ((gpa & 4095) + len - 1) / DIRTYSCOPE_SPP_SUBPAGE_SIZE;

	for (unsigned int i = first; i <= last && i < 32; i++)
		if (!(vector & (1u << i)))
			return false;
	return true;
}

static bool crosses_page(const struct store *s)
{
	return (s->off & 4095) + s->size > 4096;
}

/*
 * x86 KVM emulates a page-crossing store as two MMIO writes, one per page;
 * arm64 KVM gets one data abort for the whole store (ISV, its size) and
 * exits once. Both sides judge a write by the page it starts in.
 */
int spp_guest_expected_exits(void)
{
	int n = 0;

	for (int i = 0; i < NSTORES; i++)
#if defined(__aarch64__)
		n += 1;
#else
		n += crosses_page(&stores[i]) ? 2 : 1;
#endif
	return n;
}

void spp_guest_store_mix(int by_size[9], int *straddle_subpage, int *cross_page)
{
	memset(by_size, 0, 9 * sizeof(int));
	*straddle_subpage = *cross_page = 0;
	for (int i = 0; i < NSTORES; i++) {
		const struct store *s = &stores[i];

		by_size[s->size]++;
		*straddle_subpage += s->off / DIRTYSCOPE_SPP_SUBPAGE_SIZE !=
				     (s->off + s->size - 1) / DIRTYSCOPE_SPP_SUBPAGE_SIZE;
		*cross_page += crosses_page(s);
	}
}

/* The value store i writes: distinct per store, every byte non-zero. */
static uint64_t store_value(int i)
{
	return 0x8070605040302010ULL + 0x0101010101010101ULL * (i + 1);
}

static size_t emit(unsigned char *p, const void *bytes, size_t n)
{
	memcpy(p, bytes, n);
	return n;
}

#if defined(__aarch64__)
/*
 * EL1 with the MMU on: misaligned stores (most of the table) fault on
 * Device memory, which is all memory with the MMU off. One level-1 table
 * at TABLE_GPA maps the first GiB 1:1 as Normal write-back memory
 * (4 KiB granule, 39-bit VAs); the stores, the code and the "done" store
 * are all in it. Per store: x0 = gpa (movz/movk), x1 = value (movz + 3
 * movk), then strb/strh/str w1/str x1 [x0]; after them the "done" store
 * (mini_guest.h) and a branch back to the first store.
 */
#define TABLE_GPA 0x4000

static size_t emit32(unsigned char *p, uint32_t insn)
{
	return emit(p, &insn, 4);
}

static size_t emit_mov64(unsigned char *p, unsigned int rd, uint64_t v)
{
	size_t n = emit32(p, 0xd2800000u | (uint32_t)(v & 0xffff) << 5 | rd);

	for (unsigned int hw = 1; hw < 4; hw++)
		if ((v >> (16 * hw)) & 0xffff)
			n += emit32(p + n, 0xf2800000u | hw << 21 |
					   (uint32_t)((v >> (16 * hw)) & 0xffff) << 5 | rd);
	return n;
}

static size_t build_code(unsigned char *code, unsigned char *consts)
{
	static const uint32_t str_by_size[9] = {
		[1] = 0x39000001,	/* strb w1, [x0] */
		[2] = 0x79000001,	/* strh w1, [x0] */
		[4] = 0xb9000001,	/* str w1, [x0] */
		[8] = 0xf9000001,	/* str x1, [x0] */
	};
	size_t n = 0;

	(void)consts;
	for (int i = 0; i < NSTORES; i++) {
		const struct store *s = &stores[i];

		n += emit_mov64(code + n, 0, SPP_GUEST_GPA + s->off);
		n += emit_mov64(code + n, 1, store_value(i));
		n += emit32(code + n, str_by_size[s->size]);
	}
	n += emit_mov64(code + n, 2, MINI_GUEST_DONE_GPA);
	n += emit32(code + n, 0xb9000042);	/* str w2, [x2] */
	/* b to the first store */
	n += emit32(code + n, 0x14000000u | (uint32_t)(-(int32_t)(n / 4) & 0x3ffffff));
	return n;
}

static int set_sysreg(struct mini_guest *mg, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(mg->vcpu, KVM_SET_ONE_REG, &reg);
}

static int mmu_on(struct mini_guest *mg, const char **why)
{
	/* Block, AF, inner shareable, EL1 read/write, AttrIndx 0. */
	uint64_t block = 0x0 | 1u << 10 | 3u << 8 | 0x1;
	uint64_t tcr = 25			/* T0SZ: 39-bit VAs */
		       | 1u << 8 | 1u << 10	/* walks inner/outer write-back */
		       | 3u << 12		/* inner shareable, TG0 4 KiB */
		       | 1u << 23		/* EPD1: no TTBR1 walks */
		       | 2ull << 32;		/* IPS: 40 bits */
	uint64_t sctlr = 0;
	struct kvm_one_reg get = { .id = ARM64_SYS_REG(3, 0, 1, 0, 0),
				   .addr = (uintptr_t)&sctlr };

	memcpy((char *)mg->code + TABLE_GPA, &block, sizeof(block));
	if (ioctl(mg->vcpu, KVM_GET_ONE_REG, &get) < 0 ||
	    set_sysreg(mg, ARM64_SYS_REG(3, 0, 10, 2, 0), 0xff) ||	/* MAIR_EL1 */
	    set_sysreg(mg, ARM64_SYS_REG(3, 0, 2, 0, 2), tcr) ||	/* TCR_EL1 */
	    set_sysreg(mg, ARM64_SYS_REG(3, 0, 2, 0, 0), TABLE_GPA) ||	/* TTBR0_EL1 */
	    /* KVM's reset value plus M, C, I; A (alignment checks) stays 0. */
	    set_sysreg(mg, ARM64_SYS_REG(3, 0, 1, 0, 0),
		       (sctlr | 1u << 0 | 1u << 2 | 1u << 12) & ~(uint64_t)(1u << 1))) {
		*why = "KVM_SET_ONE_REG (MMU registers) failed";
		return 1;
	}
	return 0;
}
#else
/*
 * Real mode: mov ax, SPP_GUEST_GPA >> 4; mov ds, ax; then per store
 *   1: mov byte [off], imm8        C6 06 off16 imm8
 *   2: mov word [off], imm16       C7 06 off16 imm16
 *   4: mov dword [off], imm32      66 C7 06 off16 imm32
 *   8: movq mm0, cs:[const]        2E 0F 6F 06 const16
 *      movq [off], mm0             0F 7F 06 off16
 * then hlt; jmp back to the first store.
 */
static size_t build_code(unsigned char *code, unsigned char *consts)
{
	const unsigned char set_ds[] = {
		0xb8, 0x00, SPP_GUEST_GPA >> 12, 0x8e, 0xd8,
	};
	size_t n = 0, loop;
	int16_t rel;

	n += emit(code + n, set_ds, sizeof(set_ds));
	loop = n;
	for (int i = 0; i < NSTORES; i++) {
		const struct store *s = &stores[i];
		uint64_t v = store_value(i);
		uint16_t off = s->off, c = CONST_GPA + 8 * i;

		switch (s->size) {
		case 1:
			n += emit(code + n, "\xc6\x06", 2);
			break;
		case 2:
			n += emit(code + n, "\xc7\x06", 2);
			break;
		case 4:
			n += emit(code + n, "\x66\xc7\x06", 3);
			break;
		case 8:
			memcpy(consts + 8 * i, &v, 8);
			n += emit(code + n, "\x2e\x0f\x6f\x06", 4);
			n += emit(code + n, &c, 2);
			n += emit(code + n, "\x0f\x7f\x06", 3);
			break;
		}
		n += emit(code + n, &off, 2);
		if (s->size < 8)
			n += emit(code + n, &v, s->size);
	}
	code[n++] = 0xf4;				/* hlt */
	code[n++] = 0xe9;				/* jmp rel16 */
	rel = (int16_t)(loop - (n + 2));
	n += emit(code + n, &rel, 2);
	return n;
}

#endif

int spp_guest_create(struct spp_guest *g, int kvm_fd, const char **why)
{
	static unsigned char code[4096];
	unsigned char consts[8 * NSTORES];
	size_t len;
	int r;

	memset(g, 0, sizeof(*g));
	for (int i = 0; i < SPP_GUEST_PAGES; i++)
		g->vector[i] = DIRTYSCOPE_SPP_FULL_ACCESS;
	memset(consts, 0, sizeof(consts));
	len = build_code(code, consts);
	r = kvm_fd < 0 ? mini_guest_open(&g->mg, why) :
			 mini_guest_open_from(&g->mg, kvm_fd, why);
	if (r)
		return r;
	r = mini_guest_add_code(&g->mg, code, len, why) ?:
	    mini_guest_add_slot(&g->mg, SPP_SLOT, KVM_MEM_READONLY, SPP_GUEST_GPA,
				SPP_BYTES, &g->mem, why) ?:
	    mini_guest_add_vcpu(&g->mg, why);
#if defined(__aarch64__)
	r = r ?: mmu_on(&g->mg, why);
#endif
	if (r)
		return r;
	memcpy((char *)g->mg.code + CONST_GPA, consts, sizeof(consts));
	return 0;
}

/* One MMIO write exit: judge it like the module, apply it if allowed. */
static int handle_write(struct spp_guest *g)
{
	struct kvm_run *run = g->mg.run;
	uint64_t gpa = run->mmio.phys_addr, off = gpa - SPP_GUEST_GPA;
	struct spp_exit *e;
	uint32_t vector;

	if (gpa < SPP_GUEST_GPA || off + run->mmio.len > SPP_BYTES ||
	    !run->mmio.len || run->mmio.len > 8) {
		diag("MMIO write outside the SPP slot: gpa 0x%llx len %u",
		     (unsigned long long)gpa, run->mmio.len);
		return -1;
	}
	if (g->nexits >= SPP_GUEST_MAX_EXITS) {
		diag("more MMIO exits than the guest makes stores");
		return -1;
	}
	vector = g->vector[off / 4096];
	e = &g->exits[g->nexits++];
	e->gpa = gpa;
	e->len = run->mmio.len;
	e->value = 0;
	memcpy(&e->value, run->mmio.data, e->len);
	e->registered = vector != DIRTYSCOPE_SPP_FULL_ACCESS;
	e->allowed = spp_rule_allows(vector, gpa, e->len);
	if (e->allowed)
		memcpy((char *)g->mem + off, run->mmio.data, e->len);
	return 0;
}

int spp_guest_round(struct spp_guest *g)
{
	g->nexits = 0;
	for (;;) {
		if (mini_guest_run(&g->mg)) {
			diag("KVM_RUN: %s", strerror(errno));
			return -1;
		}
		/* HLT on x86; arm64's "done" is itself an MMIO write. */
		if (mini_guest_done(&g->mg))
			return 0;
		switch (g->mg.run->exit_reason) {
		case KVM_EXIT_MMIO:
			if (!g->mg.run->mmio.is_write) {
				diag("unexpected MMIO read at 0x%llx",
				     (unsigned long long)g->mg.run->mmio.phys_addr);
				return -1;
			}
			if (handle_write(g))
				return -1;
			break;
		default:
			diag("unexpected exit reason %u", g->mg.run->exit_reason);
			return -1;
		}
	}
}

void spp_guest_destroy(struct spp_guest *g)
{
	mini_guest_close(&g->mg);
	if (g->mem && g->mem != MAP_FAILED)
		munmap(g->mem, SPP_BYTES);
	g->mem = NULL;
}
