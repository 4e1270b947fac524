// SPDX-License-Identifier: GPL-2.0
/*
 * Notifications to the "events" group (DIRTYSCOPE_CMD_EVENT), built and
 * sent from a work item, never in probe context: a probe may run with
 * interrupts off, where allocating an skb is wrong (on PREEMPT_RT even
 * GFP_ATOMIC takes sleeping locks). The probe copies what the message
 * needs into a fixed ring of notes, under a raw spinlock held for that
 * copy only; the work drains the ring with GFP_KERNEL. A full ring, a
 * message that cannot be built and a copy a listener could not take are
 * all counted where the probe would have counted them (notify drops, or
 * SPP_EVENTS_DROPPED), so nothing is lost silently.
 *
 * Readers flush the ring first (ds_notify_flush), so a GET_STATS reply
 * never counts an event whose notification is still on its way.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <uapi/linux/dirtyscope.h>

#include "dirtyscope.h"

/* Far beyond what the rate limits let one VM queue between two runs. */
#define DS_NOTES	1024

static struct ds_note ds_notes[DS_NOTES];
/* Free-running indices into ds_notes, under ds_note_lock. */
static unsigned int ds_note_head, ds_note_tail;
static DEFINE_RAW_SPINLOCK(ds_note_lock);

static void ds_notify_drain(struct work_struct *work);
static DECLARE_WORK(ds_notify_work, ds_notify_drain);

/* Probe context: a copy of the VM's identity for the message. */
void ds_note_init(struct ds_note *n, struct ds_vm *vm, struct ds_vcpu *vc,
		  u32 event)
{
	n->event = event;
	n->vm_id = vm->id;
	n->pid = vm->pid;
	n->fd = vm->fd;
	/* Set before the VM was published; never written after. */
	memcpy(n->name, vm->name, sizeof(n->name));
	n->vcpu_idx = vc->index;
}

/* Probe context. False: the ring is full, the caller counts a drop. */
bool ds_notify_queue(const struct ds_note *n)
{
	unsigned long flags;
	bool room;

	raw_spin_lock_irqsave(&ds_note_lock, flags);
	room = ds_note_head - ds_note_tail < DS_NOTES;
	if (room)
		ds_notes[ds_note_head++ % DS_NOTES] = *n;
	raw_spin_unlock_irqrestore(&ds_note_lock, flags);
	/* Any context: the workqueue's own locks are raw. */
	if (room)
		queue_work(ds_unbound_wq, &ds_notify_work);
	return room;
}

static int ds_note_put(struct sk_buff *skb, const struct ds_note *n)
{
	if (nla_put_u32(skb, DIRTYSCOPE_ATTR_EVENT, n->event) ||
	    nla_put_u64_64bit(skb, DIRTYSCOPE_ATTR_VM_ID, n->vm_id,
			      DIRTYSCOPE_ATTR_PAD) ||
	    nla_put_u32(skb, DIRTYSCOPE_ATTR_VM_PID, n->pid) ||
	    nla_put_s32(skb, DIRTYSCOPE_ATTR_VM_FD, n->fd) ||
	    nla_put_string(skb, DIRTYSCOPE_ATTR_VM_NAME, n->name) ||
	    nla_put_u32(skb, DIRTYSCOPE_ATTR_VCPU_INDEX, n->vcpu_idx))
		return -EMSGSIZE;
	if (n->event == DIRTYSCOPE_EVENT_RING_RESET)
		return nla_put_u64_64bit(skb, DIRTYSCOPE_ATTR_RESET_ENTRIES,
					 n->entries, DIRTYSCOPE_ATTR_PAD);
	if (n->event == DIRTYSCOPE_EVENT_SPP_DENIED)
		return nla_put_u64_64bit(skb, DIRTYSCOPE_ATTR_SPP_GPA, n->gpa,
					 DIRTYSCOPE_ATTR_PAD) ?:
		       nla_put_u32(skb, DIRTYSCOPE_ATTR_SPP_LEN, n->len) ?:
		       nla_put_u64_64bit(skb, DIRTYSCOPE_ATTR_SPP_VALUE,
					 n->value, DIRTYSCOPE_ATTR_PAD);
	return 0;
}

/* 0 sent (or nobody listens any more), else it was lost. */
static int ds_note_send(const struct ds_note *n)
{
	struct sk_buff *skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	void *hdr;
	int ret;

	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, 0, 0, &ds_family, 0, DIRTYSCOPE_CMD_EVENT);
	if (!hdr || ds_note_put(skb, n)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	/*
	 * -ESRCH: every listener left meanwhile, no one missed it. Anything
	 * else (-ENOBUFS: a listener with NETLINK_BROADCAST_ERROR had a full
	 * receive buffer, or a copy for it could not be made) lost it.
	 */
	ret = genlmsg_multicast(&ds_family, skb, 0, 0, GFP_KERNEL);
	return ret == -ESRCH ? 0 : ret;
}

/* Charges a lost note to its VM if it is still there, else module-wide. */
static void ds_note_lost(const struct ds_note *n)
{
	struct ds_vm *vm;

	rcu_read_lock();
	vm = ds_vm_find_id(n->vm_id);
	if (n->event == DIRTYSCOPE_EVENT_SPP_DENIED) {
		if (vm)
			atomic64_inc(&vm->spp.events_dropped);
	} else {
		ds_drop(vm, DS_D_NOTIFY);
	}
	rcu_read_unlock();
}

static void ds_notify_drain(struct work_struct *work)
{
	unsigned int end;
	struct ds_note n;

	/* Only what is queued now: a flood cannot keep one run going. */
	raw_spin_lock_irq(&ds_note_lock);
	end = ds_note_head;
	raw_spin_unlock_irq(&ds_note_lock);
	for (;;) {
		raw_spin_lock_irq(&ds_note_lock);
		if (ds_note_tail == end) {
			raw_spin_unlock_irq(&ds_note_lock);
			break;
		}
		n = ds_notes[ds_note_tail++ % DS_NOTES];
		raw_spin_unlock_irq(&ds_note_lock);
		if (ds_note_send(&n))
			ds_note_lost(&n);
	}
}

void ds_notify_flush(void)
{
	flush_work(&ds_notify_work);
}
