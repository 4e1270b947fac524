// The negative twin of the live agreement tests: a checker that cannot
// see a dropped push, a skipped reset or a lost ioctl sample would let a
// broken collector pass.
#include <gtest/gtest.h>

#include "agreement.hpp"

namespace dirtyscope::stats::testing {
namespace {

Workload workload() {
  return {.harvested = 64, .reset_calls = 3, .vcpus_with_ring = 2, .ring_full_exits = 1, .ioctls = {2, 2, 3}};
}

VmStats matching() {
  VmStats vm;
  vm.vcpus[0] = {.ring_pushes = 64, .ring_resets = 3, .ring_full_exits = 1};
  vm.vcpus[1] = {.ring_resets = 3};
  const std::array<std::uint64_t, 3> calls = {2, 2, 3};
  for (std::size_t i = 0; i < calls.size(); ++i) {
    vm.ioctls[i].count = calls[i];
    for (std::uint64_t k = 0; k < calls[i]; ++k) vm.ioctls[i].latency_ns.record(1000);
  }
  return vm;
}

TEST(Agreement, ExactMatchHasNoDisagreement) {
  EXPECT_TRUE(disagreements(workload(), matching()).empty());
}

TEST(Agreement, DroppedPushIsReportedWithBothNumbers) {
  VmStats vm = matching();
  vm.vcpus[0].ring_pushes = 63;
  const auto d = disagreements(workload(), vm);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].find("63"), std::string::npos) << d[0];
  EXPECT_NE(d[0].find("64"), std::string::npos) << d[0];
}

TEST(Agreement, OverCountedPushIsReported) {
  VmStats vm = matching();
  vm.vcpus[kUnknownVcpu].ring_pushes = 1;
  EXPECT_EQ(disagreements(workload(), vm).size(), 1u);
}

TEST(Agreement, SkippedResetIsReported) {
  VmStats vm = matching();
  vm.vcpus[1].ring_resets = 2;  // one vCPU's ring missed a reset
  EXPECT_EQ(disagreements(workload(), vm).size(), 1u);
}

TEST(Agreement, MissedRingFullExitIsReported) {
  VmStats vm = matching();
  vm.vcpus[0].ring_full_exits = 0;
  EXPECT_EQ(disagreements(workload(), vm).size(), 1u);
}

TEST(Agreement, LostIoctlSampleIsReported) {
  VmStats vm = matching();
  vm.ioctl(DirtyIoctl::ClearDirtyLog).latency_ns = {};
  vm.ioctl(DirtyIoctl::ClearDirtyLog).latency_ns.record(10);
  const auto d = disagreements(workload(), vm);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].find("KVM_CLEAR_DIRTY_LOG"), std::string::npos) << d[0];
}

}  // namespace
}  // namespace dirtyscope::stats::testing
