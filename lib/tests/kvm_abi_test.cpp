// The constants kvm_abi.hpp defines for kernels newer than Debian 12's
// headers are ABI: a wrong number asks KVM about another capability (236,
// once written here for RING_WITH_BITMAP, is KVM_CAP_PRE_FAULT_MEMORY,
// which 6.12 offers on x86, so ring-with-bitmap tried to enable it and
// failed with EINVAL). Values from include/uapi/linux/kvm.h (6.12).
#include <gtest/gtest.h>

#include "dirtyscope/kvm_abi.hpp"

TEST(KvmAbi, CapabilityNumbersAreTheKernels) {
  EXPECT_EQ(KVM_CAP_DIRTY_LOG_RING, 192);
  EXPECT_EQ(KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 223);
  EXPECT_EQ(KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP, 225);
  EXPECT_EQ(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 168);
}

TEST(KvmAbi, ManualProtectFlags) {
  EXPECT_EQ(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, 1);
  EXPECT_EQ(KVM_DIRTY_LOG_INITIALLY_SET, 2);
}
