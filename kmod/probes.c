// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoint probes every architecture has: the dirty ring
 * (kvm_dirty_ring_push, _reset, _exit) and kvm_mmio (SPP). The
 * architecture's own probes are in probes_x86.c and probes_arm64.c; which
 * events are hooked, and attaching to KVM, in attach.c.
 */
#include <linux/kvm_host.h>
#include <trace/events/kvm.h>
#include <uapi/linux/dirtyscope.h>

#include "dirtyscope.h"
#include "probes.h"

/*
 * Probe prototypes are (void *data, TP_PROTO...). These events come from
 * <trace/events/kvm.h>, which the headers package ships, and attach.c has
 * the compiler check them; the architectures' own ones are not shipped
 * (probes_x86.c, probes_arm64.c).
 */
void ds_probe_ring_push(void *data, struct kvm_dirty_ring *ring,
			u32 slot, u64 offset)
{
	/* KVM only ever pushes to a vCPU's own ring. */
	struct kvm_vcpu *vcpu = container_of(ring, struct kvm_vcpu, dirty_ring);
	struct ds_vcpu *vc;
	struct ds_vm *vm;

	rcu_read_lock();
	vc = ds_vcpu_get(vcpu, &vm, true);
	if (vc) {
		/* The tracepoint fires after dirty_index moved past the entry. */
		u32 used = READ_ONCE(ring->dirty_index) -
			   READ_ONCE(ring->reset_index);

		atomic64_inc(&vc->c.ring_pushes);
		atomic_set(&vc->c.ring_size, ring->size);
		ds_atomic_max(&vc->c.ring_high_water, used);
	}
	rcu_read_unlock();
}

void ds_probe_ring_reset(void *data, struct kvm_dirty_ring *ring)
{
	struct kvm_vcpu *vcpu = container_of(ring, struct kvm_vcpu, dirty_ring);
	struct ds_vcpu *vc;
	struct ds_vm *vm;
	u32 idx, entries;

	rcu_read_lock();
	vc = ds_vcpu_get(vcpu, &vm, true);
	if (vc) {
		/* Fires after reset_index advanced over the harvested entries. */
		idx = READ_ONCE(ring->reset_index);
		entries = idx - vc->last_reset_index;
		vc->last_reset_index = idx;
		atomic64_inc(&vc->c.ring_resets);
		atomic64_add(entries, &vc->c.ring_reset_entries);
		/* Every vCPU's ring is visited per ioctl: only news is sent. */
		if (entries)
			ds_netlink_event(vm, vc, DIRTYSCOPE_EVENT_RING_RESET,
					 entries);
	}
	rcu_read_unlock();
}

void ds_probe_ring_exit(void *data, struct kvm_vcpu *vcpu)
{
	struct ds_vcpu *vc;
	struct ds_vm *vm;

	rcu_read_lock();
	vc = ds_vcpu_get(vcpu, &vm, true);
	if (vc) {
		atomic64_inc(&vc->c.ring_full_exits);
		ds_netlink_event(vm, vc, DIRTYSCOPE_EVENT_RING_FULL, 0);
	}
	rcu_read_unlock();
}

/*
 * kvm:kvm_mmio carries no vCPU or VM: like set_spte it fires in the vCPU's
 * thread while it emulates the access, after the exit we noted. Only
 * writes matter (SPP, see spp.c).
 */
void ds_probe_mmio(void *data, int type, int len, u64 gpa, void *val)
{
	struct ds_vcpu *vc;
	struct ds_vm *vm;

	if (type != KVM_TRACE_MMIO_WRITE || len <= 0)
		return;
	rcu_read_lock();
	vc = ds_task_vcpu(&vm);
	if (vc)
		ds_spp_write(vm, vc, gpa, len, val);
	rcu_read_unlock();
}
