/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The SPP rule and the map layout shared by spp_stats.bpf.c and the user
 * side (spp_stats_bpf.cpp, and tests/spp_rule_test.cpp, which checks the
 * rule against a plain loop). Plain C with __u32/__u64 so clang -target bpf
 * and g++ read the same bytes and run the same code. Constants are spelled
 * out so the BPF side needs no uapi header; the user side static_asserts
 * them against <linux/dirtyscope.h>.
 */
#ifndef DIRTYSCOPE_BPF_SPP_STATS_H
#define DIRTYSCOPE_BPF_SPP_STATS_H

#define DS_SPP_SUBPAGE_SIZE	128		/* DIRTYSCOPE_SPP_SUBPAGE_SIZE */
#define DS_SPP_FULL_ACCESS	0xffffffffU	/* DIRTYSCOPE_SPP_FULL_ACCESS */
#define DS_SPP_MAX_PAGES	65536		/* DIRTYSCOPE_SPP_MAX_PAGES */
#define DS_SPP_PAGE_SIZE	4096
/* include/trace/events/kvm.h (6.1): kvm_mmio's type for a write. */
#define DS_KVM_TRACE_MMIO_WRITE	2

/* spp_counts' one value, per CPU. */
struct ds_spp_counts {
	__u64 allowed;
	__u64 denied;
};

/*
 * A write of len bytes at gpa, judged by its page's vector: allowed iff
 * every 128-byte sub-page it touches has its bit set. kvm_mmio reports one
 * page's part of an access at a time, so the end is clamped to the page
 * like the module does; len 0 never reaches here (not counted). A mask
 * rather than a loop: the verifier sees straight-line code.
 */
static inline int ds_spp_allows(__u32 vector, __u64 gpa, __u32 len)
{
	__u32 off = (__u32)(gpa & (DS_SPP_PAGE_SIZE - 1));
	__u64 end = (__u64)off + len - 1;
	__u32 first, last, mask;

	if (end > DS_SPP_PAGE_SIZE - 1)
		end = DS_SPP_PAGE_SIZE - 1;
	first = off / DS_SPP_SUBPAGE_SIZE;
	last = (__u32)end / DS_SPP_SUBPAGE_SIZE;
	/* Bits first..last: both shifts stay below 32. */
	mask = (0xffffffffU >> (31 - last)) & (0xffffffffU << first);
	return (vector & mask) == mask;
}

#endif /* DIRTYSCOPE_BPF_SPP_STATS_H */
