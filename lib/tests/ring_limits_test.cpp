// The one ring-size check shared by the early host check, dirty_log_perf
// and the ring collector: limits from the capabilities' answers, and the
// message every caller prints.
#include <gtest/gtest.h>

#include "dirtyscope/error.hpp"
#include "dirtyscope/ring_limits.hpp"
#include "thrown.hpp"

using namespace dirtyscope;

TEST(RingLimits, NoCapabilityIsNoRing) { EXPECT_FALSE(ring_limits(0, 0).has_value()); }

TEST(RingLimits, EitherFlavourGivesTheLimitsInEntries) {
  const auto x86 = ring_limits(1 << 20, 1 << 20);  // x86: both, 1 MiB
  ASSERT_TRUE(x86);
  EXPECT_EQ(x86->min_entries, 256u);
  EXPECT_EQ(x86->max_entries, 65536u);
  EXPECT_TRUE(x86->acq_rel);
  const auto arm64 = ring_limits(0, 1 << 16);  // arm64: ACQ_REL only
  ASSERT_TRUE(arm64);
  EXPECT_EQ(arm64->max_entries, 4096u);
  EXPECT_TRUE(arm64->acq_rel);
  const auto old_kernel = ring_limits(1 << 16, 0);  // before ACQ_REL existed
  ASSERT_TRUE(old_kernel);
  EXPECT_FALSE(old_kernel->acq_rel);
}

TEST(RingLimits, AcceptsPowersOfTwoWithinTheLimits) {
  const RingLimits l = *ring_limits(1 << 20, 1 << 20);
  for (uint64_t n : {256u, 4096u, 65536u}) EXPECT_NO_THROW(check_ring_entries(n, l)) << n;
}

TEST(RingLimits, RefusesEachWayOfBeingWrongWithOneMessage) {
  const RingLimits l = *ring_limits(1 << 20, 1 << 20);
  for (uint64_t n : {0u, 128u, 1000u, 131072u})
    EXPECT_EQ(dirtyscope::testing::what_thrown<UsageError>([&] { check_ring_entries(n, l); }, "(accepted)"),
              "-c: ring entries " + std::to_string(n) + " outside KVM's limits 256..65536 (power of two)");
}
