#include <gtest/gtest.h>

#include "dirtyscope/stats/log2_histogram.hpp"

namespace dirtyscope::stats {
namespace {

TEST(Log2Histogram, SlotBoundaries) {
  const std::pair<std::uint64_t, std::size_t> slots[] = {{0, 0}, {1, 0}, {2, 1}, {3, 1}, {4, 2}, {1023, 9}, {1024, 10}};
  for (const auto& [ns, slot] : slots) EXPECT_EQ(Log2Histogram::slot_for(ns), slot) << ns;
  // Saturates instead of indexing past the array.
  EXPECT_EQ(Log2Histogram::slot_for(~0ULL), Log2Histogram::kSlots - 1);
  for (std::size_t s = 1; s < Log2Histogram::kSlots; ++s) {
    EXPECT_EQ(Log2Histogram::slot_for(Log2Histogram::lower_bound(s)), s);
    EXPECT_EQ(Log2Histogram::slot_for(Log2Histogram::upper_bound(s) - 1), s);
  }
}

TEST(Log2Histogram, EmptyHasNoPercentile) {
  Log2Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_FALSE(h.percentile(50).has_value());
}

TEST(Log2Histogram, RejectsPercentileOutOfRange) {
  Log2Histogram h;
  h.record(5);
  EXPECT_THROW(h.percentile(-1), std::invalid_argument);
  EXPECT_THROW(h.percentile(100.5), std::invalid_argument);
}

TEST(Log2Histogram, SingleBucketInterpolates) {
  Log2Histogram h;
  for (int i = 0; i < 4; ++i) h.record(1000);  // bucket [512, 1024)
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.bucket(9), 4u);
  EXPECT_DOUBLE_EQ(*h.percentile(100), 1024.0);
  EXPECT_DOUBLE_EQ(*h.percentile(50), 512.0 + 0.5 * 512.0);
  EXPECT_DOUBLE_EQ(*h.percentile(25), 512.0 + 0.25 * 512.0);
  // p0 lands inside the first non-empty bucket, not below it.
  EXPECT_GE(*h.percentile(0), 512.0);
}

TEST(Log2Histogram, PercentilePicksTheRightBucket) {
  Log2Histogram h;
  for (int i = 0; i < 90; ++i) h.record(100);      // bucket 6: [64, 128)
  for (int i = 0; i < 10; ++i) h.record(100000);   // bucket 16: [65536, 131072)
  EXPECT_GE(*h.percentile(50), 64.0);
  EXPECT_LT(*h.percentile(50), 128.0);
  EXPECT_LE(*h.percentile(90), 128.0);  // rank 90 is the last of the small ones
  EXPECT_GE(*h.percentile(99), 65536.0);
  EXPECT_LE(*h.percentile(99), 131072.0);
}

TEST(Log2Histogram, PercentilesAreMonotonic) {
  Log2Histogram h;
  for (std::uint64_t v = 1; v < 1'000'000; v = v * 3 + 1) h.record(v);
  double prev = 0;
  for (double p = 0; p <= 100; p += 0.5) {
    const double v = *h.percentile(p);
    EXPECT_GE(v, prev) << "p" << p;
    prev = v;
  }
}

TEST(Log2Histogram, AddAndSubtract) {
  Log2Histogram a, b;
  a.record(10), a.record(10), a.record(5000);
  b.record(10);
  Log2Histogram sum = a;
  sum += b;
  EXPECT_EQ(sum.count(), 4u);
  EXPECT_EQ(sum.bucket(3), 3u);
  sum -= a;
  EXPECT_EQ(sum, b);
  // Subtracting more than is there clamps to zero.
  Log2Histogram small = b;
  small -= a;
  EXPECT_EQ(small.count(), 0u);
}

}  // namespace
}  // namespace dirtyscope::stats
