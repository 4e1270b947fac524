// KVM ABI constants newer than Debian 12's <linux/kvm.h> (which is 6.1).
// Values come from the kernel's documented, stable userspace ABI
// (Documentation/virt/kvm/api.rst); each is guarded so newer system headers win.
#pragma once

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

// In C++, the 6.1 uapi's __DECLARE_FLEX_ARRAY adds an empty struct member,
// so sizeof(struct kvm_cpuid2) is 12 instead of the kernel's 8 and the
// C++-expanded KVM_GET_SUPPORTED_CPUID / KVM_SET_CPUID2 encode a size the
// kernel rejects with EINVAL. These use the kernel's layout: the header.
namespace dirtyscope {
struct KvmCpuid2Header {
  __u32 nent;
  __u32 padding;
};
static_assert(sizeof(KvmCpuid2Header) == 8);
}  // namespace dirtyscope
#define DS_KVM_GET_SUPPORTED_CPUID _IOWR(KVMIO, 0x05, ::dirtyscope::KvmCpuid2Header)
#define DS_KVM_SET_CPUID2 _IOW(KVMIO, 0x90, ::dirtyscope::KvmCpuid2Header)
