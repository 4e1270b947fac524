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
