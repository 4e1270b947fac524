/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dirtyscope: the kernel-to-user contract of dirtyscope.ko.
 *
 * This is the only header shared by the module and its users (C or C++).
 * It describes a generic netlink family; see kmod/README.md for examples.
 *
 * Compatibility rules: attribute and command numbers are never reused or
 * renumbered; new ones are appended before the __*_MAX sentinels. A change
 * that alters the meaning of an existing attribute bumps
 * DIRTYSCOPE_GENL_VERSION.
 */
#ifndef _UAPI_LINUX_DIRTYSCOPE_H
#define _UAPI_LINUX_DIRTYSCOPE_H

#include <linux/types.h>

#define DIRTYSCOPE_GENL_NAME		"dirtyscope"
#define DIRTYSCOPE_GENL_VERSION		1
/*
 * Multicast group announcing ring-full exits, ring resets, SPP denials.
 * Joining needs CAP_SYS_ADMIN (see "Permissions" below).
 */
#define DIRTYSCOPE_GENL_MCGRP_EVENTS	"events"

/* debugfs layout, relative to the debugfs mount point. */
#define DIRTYSCOPE_DEBUGFS_DIR		"dirtyscope"

/*
 * Sub-page write protection (SPP): each 4 KiB guest page has a 32-bit write
 * permission vector, bit i for bytes [128 * i, 128 * i + 127]. A guest
 * write covering sub-pages first..last is allowed iff all their bits are
 * set. DIRTYSCOPE_SPP_FULL_ACCESS (every bit set) is "not protected".
 */
#define DIRTYSCOPE_SPP_SUBPAGE_SIZE	128
#define DIRTYSCOPE_SPP_FULL_ACCESS	0xffffffffU
/* Most pages one VM may have registered, and one SPP_SET may name. */
#define DIRTYSCOPE_SPP_MAX_PAGES	65536
/* Most SPP_DENIED notifications per VM per second; the rest are dropped. */
#define DIRTYSCOPE_SPP_EVENTS_PER_SEC	1000
/*
 * Most ring notifications (RING_RESET and RING_FULL together) per VM per
 * second, by default (module parameter ring_events_per_sec); the rest
 * count as %DIRTYSCOPE_DROP_NOTIFY_LIMIT. The seconds are the kernel's
 * (jiffies / HZ), so any span of at most N seconds sees at most
 * (N + 1) * the limit per VM.
 */
#define DIRTYSCOPE_RING_EVENTS_PER_SEC	1000

/*
 * Permissions: one read rule for every command. A VM is visible to a
 * caller whose effective uid is the VM's owner, or who has
 * CAP_SYS_PTRACE, CAP_SYS_ADMIN or CAP_PERFMON; roughly, whoever could
 * ptrace the VM's process, plus performance monitoring. The owner is the
 * VM's creator: the effective uid of the first thread of the process that
 * created the VM (KVM_CREATE_VM) to run it. Passing the VM fd to another
 * process does not change it; a VM first run by another process has no
 * owner (only the capabilities above see it). An entry belongs to one VM
 * only: a later VM that KVM happens to allocate where a dead one was,
 * even if the module missed that one's teardown, is a new VM with a new
 * VM_ID and its own owner. Module-wide data
 * (%DIRTYSCOPE_ATTR_UNATTRIBUTED) needs CAP_SYS_ADMIN or CAP_PERFMON; the
 * events group CAP_SYS_ADMIN, as genetlink checks it when a socket joins
 * (-EPERM otherwise) and cannot filter notifications per receiver. A VM
 * the caller may not see behaves exactly like a VM that does not exist:
 * left out of dumps, -ENOENT when selected, so its existence does not
 * leak. Capabilities must be held by the socket's opener as well as by
 * the sender. Mutations: RESET_STATS of one VM follows the read rule
 * (whoever may read it may reset it), of every VM needs CAP_NET_ADMIN;
 * SPP_SET CAP_SYS_ADMIN or the owner's effective uid.
 */

/**
 * enum dirtyscope_cmd - generic netlink commands
 * @DIRTYSCOPE_CMD_LIST_VMS: dump request (NLM_F_DUMP). One reply message
 *	per tracked VM the caller may see, each carrying
 *	%DIRTYSCOPE_ATTR_VM_ID, _VM_PID,
 *	_VM_FD, _VM_NAME, _NR_VCPUS and a %DIRTYSCOPE_ATTR_STATS nest with the
 *	VM's totals. No request attributes.
 * @DIRTYSCOPE_CMD_GET_STATS: do request selecting one VM, either by
 *	%DIRTYSCOPE_ATTR_VM_ID or by %DIRTYSCOPE_ATTR_VM_PID plus
 *	%DIRTYSCOPE_ATTR_VM_FD. The reply has the VM attributes of LIST_VMS
 *	plus one %DIRTYSCOPE_ATTR_VCPU nest per vCPU seen, and
 *	%DIRTYSCOPE_ATTR_UNATTRIBUTED for CAP_SYS_ADMIN or CAP_PERFMON callers.
 *	-ENOENT if no such VM or the caller may not see it, -EINVAL if the
 *	selector is incomplete, -EMSGSIZE if the VM has too many vCPUs for
 *	one reply (module parameter stats_reply_max, about 240 KiB by
 *	default: some 1500 vCPUs). As a dump (NLM_F_DUMP) with the same
 *	selector it works for any number of vCPUs: every message carries the
 *	VM attributes and totals and the next VCPU nests, in index order
 *	(%DIRTYSCOPE_ATTR_UNATTRIBUTED in the first); the union of the
 *	messages' nests is the VM's vCPUs.
 * @DIRTYSCOPE_CMD_RESET_STATS: do request. With the selector of
 *	GET_STATS: zeroes everything that VM's replies count (the
 *	%DIRTYSCOPE_ATTR_STATS totals and every %DIRTYSCOPE_ATTR_VCPU nest,
 *	SPP totals and the SPP_ALLOWED/_DENIED of each registered page, its
 *	%DIRTYSCOPE_ATTR_DROPS) and increments its reset generation; allowed
 *	to whoever may read the VM (-ENOENT otherwise). Without a selector:
 *	does that for every VM and zeroes the module-wide counts
 *	(%DIRTYSCOPE_ATTR_UNATTRIBUTED, GET_MODULE's drops, incrementing the
 *	module's generation); needs CAP_NET_ADMIN (-EPERM). A per-VM reset
 *	leaves the module-wide counts alone: they are every user's.
 *	Ring size and SPP vectors are kept; the high-water mark restarts
 *	from zero.
 * @DIRTYSCOPE_CMD_EVENT: notification sent to %DIRTYSCOPE_GENL_MCGRP_EVENTS
 *	with %DIRTYSCOPE_ATTR_EVENT, the VM attributes and
 *	%DIRTYSCOPE_ATTR_VCPU_INDEX (and %DIRTYSCOPE_ATTR_RESET_ENTRIES for a
 *	reset; %DIRTYSCOPE_ATTR_SPP_GPA, _SPP_LEN, _SPP_VALUE for an SPP
 *	denial). Not accepted as a request. Sent by the module's work queue
 *	shortly after the event; a reply to LIST_VMS, GET_STATS or
 *	GET_MODULE is built only after every notification queued before the
 *	request was sent (or counted as dropped), so a listener reading after
 *	such a reply has the notifications of every event the reply counts.
 * @DIRTYSCOPE_CMD_SPP_SET: do request: the VM selector of GET_STATS,
 *	%DIRTYSCOPE_ATTR_SPP_GFN, %DIRTYSCOPE_ATTR_SPP_NPAGES and
 *	%DIRTYSCOPE_ATTR_SPP_VECTOR, all required. Gives pages
 *	[gfn, gfn + npages) that write-permission vector; a page's counts
 *	survive a vector change. %DIRTYSCOPE_SPP_FULL_ACCESS unregisters the
 *	pages (their counts go; the VM totals stay). -ENOENT for a VM the
 *	caller may not see; of those who see it, only CAP_SYS_ADMIN or the
 *	VM owner's effective uid may set vectors: else -EPERM.
 *	-ERANGE if the range passes the 52-bit guest physical address space,
 *	-ENOSPC if the VM would have more than %DIRTYSCOPE_SPP_MAX_PAGES
 *	registered (then nothing changes), -ENOMEM may leave part applied.
 * @DIRTYSCOPE_CMD_SPP_GET: do request: selector and %DIRTYSCOPE_ATTR_SPP_GFN;
 *	-ENOENT for a VM the caller may not see. The reply has the VM attributes,
 *	%DIRTYSCOPE_ATTR_SPP_GFN, _SPP_VECTOR (%DIRTYSCOPE_SPP_FULL_ACCESS if
 *	not registered), _SPP_ALLOWED and _SPP_DENIED of that page. As a
 *	dump (NLM_F_DUMP) with only the selector: one message per registered
 *	page of the VM, in gfn order.
 * @DIRTYSCOPE_CMD_GET_MODULE: do request, no attributes; module-wide
 *	data, so CAP_SYS_ADMIN or CAP_PERFMON only (-EPERM otherwise). The
 *	reply has %DIRTYSCOPE_ATTR_RESET_GEN (the module's), a
 *	%DIRTYSCOPE_ATTR_DROPS nest (module-wide drops: every reason of
 *	&enum dirtyscope_drop) and %DIRTYSCOPE_ATTR_UNATTRIBUTED.
 */
enum dirtyscope_cmd {
	DIRTYSCOPE_CMD_UNSPEC,
	DIRTYSCOPE_CMD_LIST_VMS,
	DIRTYSCOPE_CMD_GET_STATS,
	DIRTYSCOPE_CMD_RESET_STATS,
	DIRTYSCOPE_CMD_EVENT,
	DIRTYSCOPE_CMD_SPP_SET,
	DIRTYSCOPE_CMD_SPP_GET,
	DIRTYSCOPE_CMD_GET_MODULE,

	__DIRTYSCOPE_CMD_MAX,
	DIRTYSCOPE_CMD_MAX = __DIRTYSCOPE_CMD_MAX - 1
};

/**
 * enum dirtyscope_attr - top-level attributes
 * @DIRTYSCOPE_ATTR_PAD: padding for 64-bit attributes, ignore.
 * @DIRTYSCOPE_ATTR_VM_ID: u64, module-assigned VM handle, unique for the
 *	module's lifetime (a reloaded module starts again at 1).
 * @DIRTYSCOPE_ATTR_VM_PID: u32, pid in KVM's debugfs name (the thread that
 *	created the VM), or the thread group id when KVM has no debugfs entry.
 * @DIRTYSCOPE_ATTR_VM_FD: s32, the VM file descriptor number in that
 *	process, -1 if it could not be determined.
 * @DIRTYSCOPE_ATTR_VM_NAME: NUL-terminated string "<pid>-<fd>", the same
 *	as the VM's directory in /sys/kernel/debug/kvm/ and dirtyscope/.
 * @DIRTYSCOPE_ATTR_NR_VCPUS: u32, number of vCPUs seen so far.
 * @DIRTYSCOPE_ATTR_STATS: nest of &enum dirtyscope_stat, VM totals.
 * @DIRTYSCOPE_ATTR_VCPU: nest of &enum dirtyscope_stat for one vCPU
 *	(includes %DIRTYSCOPE_STAT_VCPU_INDEX); repeated.
 * @DIRTYSCOPE_ATTR_EVENT: u32, &enum dirtyscope_event (notifications).
 * @DIRTYSCOPE_ATTR_VCPU_INDEX: u32, vCPU index of a notification.
 * @DIRTYSCOPE_ATTR_RESET_ENTRIES: u64, entries a reset recycled.
 * @DIRTYSCOPE_ATTR_UNATTRIBUTED: u64, module-wide count of set_spte events
 *	that could not be tied to a vCPU (LIST_VMS does not carry it; it is in
 *	every GET_STATS reply to CAP_SYS_ADMIN or CAP_PERFMON callers, and in
 *	none to others, as it counts every user's activity).
 * @DIRTYSCOPE_ATTR_SPP_GFN: u64, guest frame number (guest physical
 *	address >> 12) of the first page.
 * @DIRTYSCOPE_ATTR_SPP_NPAGES: u32, 1..%DIRTYSCOPE_SPP_MAX_PAGES.
 * @DIRTYSCOPE_ATTR_SPP_VECTOR: u32, write-permission vector, bit i for
 *	sub-page i (%DIRTYSCOPE_SPP_SUBPAGE_SIZE bytes each).
 * @DIRTYSCOPE_ATTR_SPP_ALLOWED: u64, writes to the page the vector allowed
 *	(reply only).
 * @DIRTYSCOPE_ATTR_SPP_DENIED: u64, writes it denied (reply only).
 * @DIRTYSCOPE_ATTR_SPP_GPA: u64, guest physical address of a denied write
 *	(notification only).
 * @DIRTYSCOPE_ATTR_SPP_LEN: u32, its length in bytes: one kvm:kvm_mmio
 *	write, i.e. one page's part of the guest's store, up to the access
 *	size (more than 8 for vector stores; userspace then sees several
 *	KVM_EXIT_MMIO of at most 8 bytes) (notification only).
 * @DIRTYSCOPE_ATTR_SPP_VALUE: u64, its first min(len, 8) bytes in guest
 *	byte order, zero-extended, as kvm:kvm_mmio records them
 *	(notification only).
 * @DIRTYSCOPE_ATTR_RESET_GEN: u64, reset generation. In every VM reply
 *	(LIST_VMS, GET_STATS) the VM's: RESET_STATS increments it each time it
 *	zeroes that VM's counters (selected, or all VMs). In GET_MODULE the
 *	module's: incremented by each RESET_STATS without a selector, which
 *	also zeroes the module-wide counters. A reader whose baseline was
 *	taken in another generation knows someone reset the counters since,
 *	without waiting for a counter to go backwards. Starts at 0 when the
 *	module loads (a reloaded module gives VMs new VM_IDs).
 * @DIRTYSCOPE_ATTR_DROPS: nest of &enum dirtyscope_drop: what the module
 *	saw but could not count. In every VM reply the VM's (reasons
 *	_EVENTS, _PENDING_EVENTS, _VCPU_ALLOC, _NOTIFY, _NOTIFY_LIMIT; zeroed by RESET_STATS
 *	with the VM's counters); in GET_MODULE module-wide, every reason.
 */
enum dirtyscope_attr {
	DIRTYSCOPE_ATTR_UNSPEC,
	DIRTYSCOPE_ATTR_PAD,
	DIRTYSCOPE_ATTR_VM_ID,
	DIRTYSCOPE_ATTR_VM_PID,
	DIRTYSCOPE_ATTR_VM_FD,
	DIRTYSCOPE_ATTR_VM_NAME,
	DIRTYSCOPE_ATTR_NR_VCPUS,
	DIRTYSCOPE_ATTR_STATS,
	DIRTYSCOPE_ATTR_VCPU,
	DIRTYSCOPE_ATTR_EVENT,
	DIRTYSCOPE_ATTR_VCPU_INDEX,
	DIRTYSCOPE_ATTR_RESET_ENTRIES,
	DIRTYSCOPE_ATTR_UNATTRIBUTED,
	DIRTYSCOPE_ATTR_SPP_GFN,
	DIRTYSCOPE_ATTR_SPP_NPAGES,
	DIRTYSCOPE_ATTR_SPP_VECTOR,
	DIRTYSCOPE_ATTR_SPP_ALLOWED,
	DIRTYSCOPE_ATTR_SPP_DENIED,
	DIRTYSCOPE_ATTR_SPP_GPA,
	DIRTYSCOPE_ATTR_SPP_LEN,
	DIRTYSCOPE_ATTR_SPP_VALUE,
	DIRTYSCOPE_ATTR_RESET_GEN,
	DIRTYSCOPE_ATTR_DROPS,

	__DIRTYSCOPE_ATTR_MAX,
	DIRTYSCOPE_ATTR_MAX = __DIRTYSCOPE_ATTR_MAX - 1
};

/**
 * enum dirtyscope_stat - counters inside %DIRTYSCOPE_ATTR_STATS and
 *	%DIRTYSCOPE_ATTR_VCPU nests. Counters are u64 unless noted.
 * @DIRTYSCOPE_STAT_PAD: padding, ignore.
 * @DIRTYSCOPE_STAT_VCPU_INDEX: u32, vCPU index (only in _ATTR_VCPU).
 * @DIRTYSCOPE_STAT_VCPU_ID: u32, the vCPU id userspace gave
 *	KVM_CREATE_VCPU (only in _ATTR_VCPU).
 * @DIRTYSCOPE_STAT_RING_PUSHES: kvm:kvm_dirty_ring_push events, i.e. dirty
 *	GFNs KVM published to the ring.
 * @DIRTYSCOPE_STAT_RING_RESETS: kvm:kvm_dirty_ring_reset events. KVM
 *	resets every vCPU's ring on each KVM_RESET_DIRTY_RINGS, so per vCPU
 *	this is the number of such ioctls.
 * @DIRTYSCOPE_STAT_RING_RESET_ENTRIES: entries recycled by those resets.
 * @DIRTYSCOPE_STAT_RING_FULL_EXITS: kvm:kvm_dirty_ring_exit events
 *	(KVM_EXIT_DIRTY_RING_FULL returned to userspace).
 * @DIRTYSCOPE_STAT_PAGE_FAULTS: kvm:kvm_page_fault events (guest page
 *	faults KVM intercepted: NPT/EPT violations or shadow #PF).
 * @DIRTYSCOPE_STAT_SET_SPTE: kvmmmu:kvm_mmu_set_spte events (SPTEs built
 *	by the slow fault path; the fast path does not trace here).
 * @DIRTYSCOPE_STAT_SET_SPTE_WRITABLE: those of them that installed a
 *	writable SPTE.
 * @DIRTYSCOPE_STAT_RING_SIZE: u32, ring size in entries (0 if unknown).
 * @DIRTYSCOPE_STAT_RING_HIGH_WATER: u32, highest ring occupancy (pushed
 *	but not yet reset entries) seen right after a push. For VM totals,
 *	the maximum over vCPUs.
 * @DIRTYSCOPE_STAT_SPP_ALLOWED: guest writes to SPP-registered pages the
 *	vector allowed (only in _ATTR_STATS: VM totals).
 * @DIRTYSCOPE_STAT_SPP_DENIED: those it denied (only in _ATTR_STATS).
 * @DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED: SPP_DENIED notifications not sent
 *	while someone listened: over the rate limit, out of memory, or not
 *	delivered (only in _ATTR_STATS).
 */
enum dirtyscope_stat {
	DIRTYSCOPE_STAT_UNSPEC,
	DIRTYSCOPE_STAT_PAD,
	DIRTYSCOPE_STAT_VCPU_INDEX,
	DIRTYSCOPE_STAT_VCPU_ID,
	DIRTYSCOPE_STAT_RING_PUSHES,
	DIRTYSCOPE_STAT_RING_RESETS,
	DIRTYSCOPE_STAT_RING_RESET_ENTRIES,
	DIRTYSCOPE_STAT_RING_FULL_EXITS,
	DIRTYSCOPE_STAT_PAGE_FAULTS,
	DIRTYSCOPE_STAT_SET_SPTE,
	DIRTYSCOPE_STAT_SET_SPTE_WRITABLE,
	DIRTYSCOPE_STAT_RING_SIZE,
	DIRTYSCOPE_STAT_RING_HIGH_WATER,
	DIRTYSCOPE_STAT_SPP_ALLOWED,
	DIRTYSCOPE_STAT_SPP_DENIED,
	DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED,

	__DIRTYSCOPE_STAT_MAX,
	DIRTYSCOPE_STAT_MAX = __DIRTYSCOPE_STAT_MAX - 1
};

/**
 * enum dirtyscope_drop - u64 counters inside %DIRTYSCOPE_ATTR_DROPS: why the
 *	module did not count something it saw. Module-wide counts include
 *	every VM's; a VM's count only what is charged to it.
 * @DIRTYSCOPE_DROP_PAD: padding, ignore.
 * @DIRTYSCOPE_DROP_EVENTS: counted events (ring push, reset, full exit,
 *	page fault) the module saw but could not count because their VM or
 *	vCPU was not tracked, for any of the reasons below. A statistics
 *	window over which this grew is not exact.
 * @DIRTYSCOPE_DROP_PENDING_EVENTS: of those, events of a VM whose tracking
 *	was still waiting for the module's workqueue (it finds the VM's fd
 *	there when KVM gave the VM no debugfs name).
 * @DIRTYSCOPE_DROP_VM_ALLOC: module only: attempts to track a VM that found
 *	no preallocated VM entry (pool empty, refill failed).
 * @DIRTYSCOPE_DROP_VM_TABLE_FULL: module only: attempts to track a VM while
 *	the module tracked its maximum (module parameter max_vms).
 * @DIRTYSCOPE_DROP_VCPU_ALLOC: attempts to track a vCPU that found no
 *	preallocated vCPU entry or no room in the VM's vCPU table.
 * @DIRTYSCOPE_DROP_TASK: module only: threads whose last-exited vCPU could
 *	not be remembered (no entry, or the table of threads full); their
 *	set_spte events count as %DIRTYSCOPE_ATTR_UNATTRIBUTED.
 * @DIRTYSCOPE_DROP_NOTIFY: %DIRTYSCOPE_CMD_EVENT notifications of ring
 *	resets and full exits not sent while someone listened: not queued
 *	(the module's queue of notifications was full), not built (out of
 *	memory), or not delivered to a listener that set
 *	NETLINK_BROADCAST_ERROR on its socket (its receive buffer was full);
 *	netlink tells other listeners only themselves (ENOBUFS on a read).
 *	SPP denials count in %DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED.
 * @DIRTYSCOPE_DROP_NOTIFY_LIMIT: ring notifications not sent while someone
 *	listened because the VM had used its %DIRTYSCOPE_RING_EVENTS_PER_SEC
 *	for the current second. (A reset that recycled no entry is no
 *	notification at all: nothing sent, nothing dropped.)
 */
enum dirtyscope_drop {
	DIRTYSCOPE_DROP_UNSPEC,
	DIRTYSCOPE_DROP_PAD,
	DIRTYSCOPE_DROP_EVENTS,
	DIRTYSCOPE_DROP_PENDING_EVENTS,
	DIRTYSCOPE_DROP_VM_ALLOC,
	DIRTYSCOPE_DROP_VM_TABLE_FULL,
	DIRTYSCOPE_DROP_VCPU_ALLOC,
	DIRTYSCOPE_DROP_TASK,
	DIRTYSCOPE_DROP_NOTIFY,
	DIRTYSCOPE_DROP_NOTIFY_LIMIT,

	__DIRTYSCOPE_DROP_MAX,
	DIRTYSCOPE_DROP_MAX = __DIRTYSCOPE_DROP_MAX - 1
};

/**
 * enum dirtyscope_event - value of %DIRTYSCOPE_ATTR_EVENT
 * @DIRTYSCOPE_EVENT_RING_FULL: a vCPU exited with KVM_EXIT_DIRTY_RING_FULL.
 * @DIRTYSCOPE_EVENT_RING_RESET: a vCPU's ring was reset and recycled at
 *	least one entry (KVM_RESET_DIRTY_RINGS visits every vCPU; those with
 *	nothing to recycle send nothing). Ring events are rate limited: see
 *	%DIRTYSCOPE_RING_EVENTS_PER_SEC.
 * @DIRTYSCOPE_EVENT_SPP_DENIED: a guest write to an SPP-registered page
 *	was denied by its vector; at most %DIRTYSCOPE_SPP_EVENTS_PER_SEC per
 *	VM per second.
 */
enum dirtyscope_event {
	DIRTYSCOPE_EVENT_UNSPEC,
	DIRTYSCOPE_EVENT_RING_FULL,
	DIRTYSCOPE_EVENT_RING_RESET,
	DIRTYSCOPE_EVENT_SPP_DENIED,
};

#endif /* _UAPI_LINUX_DIRTYSCOPE_H */
