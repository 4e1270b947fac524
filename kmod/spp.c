// SPDX-License-Identifier: GPL-2.0
/*
 * Sub-page write protection (SPP), modelled on stock KVM: userspace keeps
 * protected pages in KVM_MEM_READONLY memslots, so every guest write to
 * them is emulated and exits to userspace as KVM_EXIT_MMIO, where the
 * write is applied or dropped by the page's 32-bit vector. This file keeps
 * the vectors userspace registers (SPP_SET) and judges each such write as
 * kvm:kvm_mmio reports it, with the same rule, counting per page and per
 * VM, so userspace's own decisions can be checked against ours.
 *
 * kvm:kvm_mmio (6.1, arch/x86/kvm/x86.c write_mmio()) fires once per
 * emulated write per page: the emulator splits a page-crossing access and
 * traces each part with its own gpa and len, before offering it to
 * in-kernel devices and, failing those, to userspace. A completed MMIO
 * write is not re-emulated, so it is not traced again. val points at the
 * bytes written; len can exceed 8 for vector stores (userspace then sees
 * several exits of at most 8 bytes), we judge the whole part at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/jiffies.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <uapi/linux/dirtyscope.h>

#include "dirtyscope.h"
#include "rate.h"

/* x86-64 guest physical addresses have at most 52 bits. */
#define DS_SPP_GFN_LIMIT	(1ULL << (52 - PAGE_SHIFT))
#define DS_SPP_SUBPAGES		(PAGE_SIZE / DIRTYSCOPE_SPP_SUBPAGE_SIZE)

void ds_spp_init(struct ds_spp *spp)
{
	xa_init(&spp->pages);
	mutex_init(&spp->lock);
	atomic_set(&spp->nr_pages, 0);
	atomic64_set(&spp->allowed, 0);
	atomic64_set(&spp->denied, 0);
	atomic64_set(&spp->events_dropped, 0);
	ds_rate_init(&spp->limit);
}

/* No reader is left (the VM's destroy work waited for RCU and SRCU). */
void ds_spp_destroy(struct ds_spp *spp)
{
	struct ds_spp_page *page;
	unsigned long gfn;

	xa_for_each(&spp->pages, gfn, page)
		ds_free(page);
	xa_destroy(&spp->pages);
	mutex_destroy(&spp->lock);
}

/*
 * RESET_STATS: the VM totals and every page's counts; vectors stay. Under
 * RCU: pages unregistered meanwhile are freed only after a grace period.
 */
void ds_spp_reset(struct ds_spp *spp)
{
	struct ds_spp_page *page;
	unsigned long gfn;

	xa_for_each(&spp->pages, gfn, page) {
		atomic64_set(&page->allowed, 0);
		atomic64_set(&page->denied, 0);
	}
	atomic64_set(&spp->allowed, 0);
	atomic64_set(&spp->denied, 0);
	atomic64_set(&spp->events_dropped, 0);
}

/* Every sub-page the write [gpa, gpa + len) touches must be writable. */
static bool ds_spp_allows(u32 vector, u64 gpa, u32 len)
{
	unsigned int off = gpa & ~PAGE_MASK;
	unsigned int end = min_t(u64, (u64)off + len - 1, PAGE_SIZE - 1);
	unsigned int first = off / DIRTYSCOPE_SPP_SUBPAGE_SIZE;
	unsigned int last = end / DIRTYSCOPE_SPP_SUBPAGE_SIZE;
	u32 mask = GENMASK(last, first);

	BUILD_BUG_ON(DS_SPP_SUBPAGES != 32);
	return (vector & mask) == mask;
}

void ds_spp_write(struct ds_vm *vm, struct ds_vcpu *vc, u64 gpa, u32 len,
		  const void *val)
{
	struct ds_spp *spp = &vm->spp;
	struct ds_spp_page *page;
	u64 value = 0;

	/* Most VMs register nothing: one read and out. */
	if (!atomic_read(&spp->nr_pages) || !len)
		return;
	page = xa_load(&spp->pages, gpa >> PAGE_SHIFT);
	if (!page)
		return;
	if (ds_spp_allows(READ_ONCE(page->vector), gpa, len)) {
		atomic64_inc(&page->allowed);
		atomic64_inc(&spp->allowed);
		return;
	}
	atomic64_inc(&page->denied);
	atomic64_inc(&spp->denied);
	if (!ds_netlink_has_listeners())
		return;
	/* What kvm_mmio itself records: the first bytes, zero-extended. */
	if (val)
		memcpy(&value, val, min_t(u32, len, sizeof(value)));
	if (!ds_rate_take(&spp->limit, DIRTYSCOPE_SPP_EVENTS_PER_SEC) ||
	    ds_netlink_spp_denied(vm, vc, gpa, len, value))
		atomic64_inc(&spp->events_dropped);
}

static int ds_spp_unregister(struct ds_spp *spp, u64 gfn, u32 npages)
{
	struct ds_spp_page *page;
	u64 i;

	for (i = gfn; i < gfn + npages; i++) {
		page = xa_erase(&spp->pages, i);
		if (page) {
			atomic_dec(&spp->nr_pages);
			ds_free_rcu(page, rcu);
		}
		if (!((i - gfn) % 1024))
			cond_resched();
	}
	return 0;
}

static int ds_spp_register(struct ds_spp *spp, u64 gfn, u32 npages,
			   u32 vector, struct netlink_ext_ack *extack)
{
	u64 last = gfn + npages - 1, i;
	struct ds_spp_page *page;
	unsigned long idx;
	u32 existing = 0;
	int ret;

	/* All or nothing for the limit: count what is new first. */
	xa_for_each_range(&spp->pages, idx, page, gfn, last)
		existing++;
	if (atomic_read(&spp->nr_pages) + (npages - existing) >
	    DIRTYSCOPE_SPP_MAX_PAGES) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the VM would have more SPP pages than DIRTYSCOPE_SPP_MAX_PAGES");
		return -ENOSPC;
	}
	for (i = gfn; i <= last; i++) {
		page = xa_load(&spp->pages, i);
		if (page) {
			WRITE_ONCE(page->vector, vector);
			continue;
		}
		page = ds_zalloc(sizeof(*page), GFP_KERNEL_ACCOUNT);
		if (!page)
			return -ENOMEM;
		page->vector = vector;
		/* Published fully initialised: xa_store() orders the stores. */
		ret = xa_err(xa_store(&spp->pages, i, page, GFP_KERNEL_ACCOUNT));
		if (ret) {
			ds_free(page);
			return ret;
		}
		atomic_inc(&spp->nr_pages);
		if (!((i - gfn) % 1024))
			cond_resched();
	}
	return 0;
}

/* Process context (netlink SPP_SET); may sleep. */
int ds_spp_set(struct ds_spp *spp, u64 gfn, u32 npages, u32 vector,
	       struct netlink_ext_ack *extack)
{
	int ret;

	if (!npages || npages > DIRTYSCOPE_SPP_MAX_PAGES) {
		NL_SET_ERR_MSG_MOD(extack, "SPP_NPAGES out of range");
		return -ERANGE;
	}
	if (gfn >= DS_SPP_GFN_LIMIT || npages > DS_SPP_GFN_LIMIT - gfn) {
		NL_SET_ERR_MSG_MOD(extack,
				   "SPP_GFN + SPP_NPAGES beyond the 52-bit guest physical address space");
		return -ERANGE;
	}
	mutex_lock(&spp->lock);
	if (vector == DIRTYSCOPE_SPP_FULL_ACCESS)
		ret = ds_spp_unregister(spp, gfn, npages);
	else
		ret = ds_spp_register(spp, gfn, npages, vector, extack);
	mutex_unlock(&spp->lock);
	return ret;
}

bool ds_spp_get(struct ds_spp *spp, u64 gfn, u32 *vector, u64 *allowed,
		u64 *denied)
{
	struct ds_spp_page *page = NULL;

	if (gfn < DS_SPP_GFN_LIMIT)
		page = xa_load(&spp->pages, gfn);
	if (!page) {
		*vector = DIRTYSCOPE_SPP_FULL_ACCESS;
		*allowed = *denied = 0;
		return false;
	}
	*vector = READ_ONCE(page->vector);
	*allowed = atomic64_read(&page->allowed);
	*denied = atomic64_read(&page->denied);
	return true;
}

/* debugfs <vm>/spp: one line per registered page, in gfn order. */
void ds_spp_show(struct seq_file *m, struct ds_spp *spp)
{
	struct ds_spp_page *page;
	unsigned long gfn;

	rcu_read_lock();
	xa_for_each(&spp->pages, gfn, page)
		seq_printf(m, "gfn 0x%lx vector 0x%08x allowed %llu denied %llu\n",
			   gfn, READ_ONCE(page->vector),
			   atomic64_read(&page->allowed),
			   atomic64_read(&page->denied));
	rcu_read_unlock();
}
