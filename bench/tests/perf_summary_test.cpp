// The table's arithmetic: medians (odd, even, empty), ratios (a zero
// baseline gives none), and summarize() picking each field.
#include <gtest/gtest.h>

#include "perf_summary.hpp"

using namespace dirtyscope::bench;

TEST(PerfSummary, MedianOddEvenEmpty) {
  EXPECT_DOUBLE_EQ(median({5, 1, 9}), 5);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median({7}), 7);
  EXPECT_DOUBLE_EQ(median({}), 0);
  // Robust to one outlier, which is why the table uses it.
  EXPECT_DOUBLE_EQ(median({10, 11, 1000000}), 11);
}

TEST(PerfSummary, Ratio) {
  EXPECT_DOUBLE_EQ(*ratio(30, 10), 3.0);
  EXPECT_DOUBLE_EQ(*ratio(0, 10), 0.0);
  EXPECT_FALSE(ratio(5, 0).has_value());
}

TEST(PerfSummary, SummarizeTakesMediansPerField) {
  PerfModeResult r;
  r.mode = "dirty-ring";
  r.populate_ns = 7;
  r.enable_ns = 8;
  r.disable_ns = 9;
  r.iterations = {{100, 10, 4, 6, 2, 50, 1}, {300, 30, 12, 18, 0, 70, 0}, {200, 20, 8, 12, 1, 60, 3}};
  ModeSummary s = summarize(r);
  EXPECT_EQ(s.mode, "dirty-ring");
  EXPECT_DOUBLE_EQ(s.dirty_ns, 200);
  EXPECT_DOUBLE_EQ(s.collect_ns, 20);
  EXPECT_DOUBLE_EQ(s.collect_kernel_ns, 8);
  EXPECT_DOUBLE_EQ(s.collect_user_ns, 12);
  EXPECT_DOUBLE_EQ(s.collect_in_dirty_ns, 1);  // from the median-collect iteration
  EXPECT_DOUBLE_EQ(s.pages_collected, 60);
  EXPECT_DOUBLE_EQ(s.collect_ns_per_page(), 20.0 / 60);
  EXPECT_DOUBLE_EQ(s.populate_ns, 7);
}

TEST(PerfSummary, RatiosAgainstBaseline) {
  ModeSummary base, ring;
  base.dirty_ns = 100; base.collect_ns = 10; base.collect_kernel_ns = 8; base.collect_user_ns = 0;
  ring.dirty_ns = 150; ring.collect_ns = 40; ring.collect_kernel_ns = 4; ring.collect_user_ns = 36;
  Ratios q = ratios(ring, base);
  EXPECT_DOUBLE_EQ(*q.dirty, 1.5);
  EXPECT_DOUBLE_EQ(*q.collect, 4.0);
  EXPECT_DOUBLE_EQ(*q.collect_kernel, 0.5);
  EXPECT_FALSE(q.collect_user.has_value());
}

TEST(PerfSummary, CollectBreakdownAddsUp) {
  PerfModeResult r;
  // Per-field medians would give kernel 5 + user 5 for a collect of 20.
  r.iterations = {{0, 10, 9, 1, 0, 1, 0}, {0, 20, 5, 15, 0, 1, 0}, {0, 30, 1, 29, 0, 1, 0}};
  ModeSummary s = summarize(r);
  EXPECT_DOUBLE_EQ(s.collect_ns, 20);
  EXPECT_DOUBLE_EQ(s.collect_kernel_ns + s.collect_user_ns, 20);
  r.iterations.push_back({0, 40, 20, 20, 0, 1, 0});  // even: the middle two, averaged
  s = summarize(r);
  EXPECT_DOUBLE_EQ(s.collect_ns, 25);
  EXPECT_DOUBLE_EQ(s.collect_kernel_ns, 3);
  EXPECT_DOUBLE_EQ(s.collect_user_ns, 22);
}
