/*
 * KVM dirty-tracking constants newer than Debian 12's <linux/kvm.h> (6.1),
 * in C so both the library (through kvm_abi.hpp) and the guest-side C tools
 * (vm/kvm_caps.c) take them from one place. Values are the kernel's stable
 * userspace ABI (include/uapi/linux/kvm.h; lib/tests/kvm_abi_test.cpp pins
 * them); each is guarded so newer system headers win.
 */
#ifndef DIRTYSCOPE_KVM_DIRTY_ABI_H
#define DIRTYSCOPE_KVM_DIRTY_ABI_H

#include <linux/kvm.h>

/*
 * Where a vCPU's dirty ring is mapped, in pages of the vCPU fd. arm64 got
 * the ring (and its asm/kvm.h define, 64 as on x86) in 6.3; with an older
 * arm64 uapi (Debian 12's cross headers are 6.1) linux/kvm.h falls back to
 * 0, which would map kvm_run instead of the ring, so use the kernel's value.
 */
#if defined(__aarch64__) && KVM_DIRTY_LOG_PAGE_OFFSET == 0
#define DS_KVM_DIRTY_LOG_PAGE_OFFSET 64
#else
#define DS_KVM_DIRTY_LOG_PAGE_OFFSET KVM_DIRTY_LOG_PAGE_OFFSET
#endif
#ifndef KVM_CAP_DIRTY_LOG_RING_ACQ_REL
#define KVM_CAP_DIRTY_LOG_RING_ACQ_REL 223
#endif
#ifndef KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP
#define KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP 225
#endif
#ifndef KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
#define KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE (1 << 0)
#endif
#ifndef KVM_DIRTY_LOG_INITIALLY_SET
#define KVM_DIRTY_LOG_INITIALLY_SET (1 << 1)
#endif

#endif
