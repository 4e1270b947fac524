// KVM ABI for the library: the dirty-tracking constants newer than Debian
// 12's <linux/kvm.h> (kvm_dirty_abi.h, shared with the C tools), and
// C++-correct CPUID ioctl numbers.
#pragma once

#include <linux/kvm.h>

#include "dirtyscope/kvm_dirty_abi.h"

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
