// KvmBinaryStats against real VM and vCPU stats fds.
#include <gtest/gtest.h>

#include "dirtyscope/stats/kvm_binary_stats.hpp"
#include "mini_guest.hpp"

namespace dirtyscope::stats::testing {
namespace {

TEST(KvmBinaryStats, VmStatsHaveIdDescriptorsAndValues) {
  const GuestOptions opt{.vcpus = 1, .pages = 4};
  if (auto why = kvm_problem(opt); !why.empty()) GTEST_SKIP() << why;
  MiniGuest guest(opt);
  KvmBinaryStats st = KvmBinaryStats::open(guest.vm_fd());
  EXPECT_EQ(st.id().rfind("kvm-", 0), 0u) << st.id();
  ASSERT_FALSE(st.descriptors().empty());
  // A generic VM statistic every kernel with binary stats has.
  EXPECT_TRUE(st.value("remote_tlb_flush").has_value());
  EXPECT_FALSE(st.value("no_such_statistic").has_value());
  EXPECT_TRUE(st.values("no_such_statistic").empty());
  for (const auto& d : st.descriptors()) {
    EXPECT_FALSE(d.name.empty());
    EXPECT_EQ(st.values(d.name).size(), d.size) << d.name;
  }
}

TEST(KvmBinaryStats, VcpuStatsCountTheGuestsHalt) {
  const GuestOptions opt{.vcpus = 1, .pages = 4};
  if (auto why = kvm_problem(opt); !why.empty()) GTEST_SKIP() << why;
  MiniGuest guest(opt);
  KvmBinaryStats st = KvmBinaryStats::open(guest.vcpu_fd(0));
  EXPECT_NE(st.id().find("vcpu"), std::string::npos) << st.id();
  ASSERT_TRUE(st.value("halt_exits").has_value());
  const std::uint64_t before = *st.value("halt_exits");
  EXPECT_EQ(before, 0u);
  guest.run();  // ends with exactly one HLT
  st.refresh();
  EXPECT_EQ(*st.value("halt_exits"), before + 1);
  ASSERT_TRUE(st.value("exits").has_value());
  EXPECT_GE(*st.value("exits"), 1u);
}

}  // namespace
}  // namespace dirtyscope::stats::testing
