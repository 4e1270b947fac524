// The pages one perf pass writes, and the exact comparison dirty_log_perf
// makes with what a mode collected: equal passes, a missing or an extra
// page fails naming the mode, the pass and both numbers.
#include <gtest/gtest.h>

#include "perf_pages.hpp"

using namespace dirtyscope;
using namespace dirtyscope::bench;

TEST(PerfPages, WritesPerPassRoundUp) {
  EXPECT_EQ(writes_in_pass({.first_page = 0, .pages = 10, .stride = 1}), 10u);
  EXPECT_EQ(writes_in_pass({.first_page = 0, .pages = 10, .stride = 3}), 4u);  // 0 3 6 9
  EXPECT_EQ(writes_in_pass({.first_page = 0, .pages = 9, .stride = 3}), 3u);   // 0 3 6
  EXPECT_EQ(writes_in_pass({.first_page = 0, .pages = 0, .stride = 3}), 0u);
  EXPECT_EQ(writes_in_pass({.first_page = 0, .pages = 5, .stride = 0}), 5u);   // 0 means 1, as in the guest
}

TEST(PerfPages, DisjointRegionsAddUp) {
  const DirtySet w = pages_written(20, {{.first_page = 0, .pages = 10, .stride = 3},
                                        {.first_page = 10, .pages = 10, .stride = 3}});
  EXPECT_EQ(w.count(), 8u);
  for (uint64_t p : {0, 3, 6, 9, 10, 13, 16, 19}) EXPECT_TRUE(w.test(p)) << p;
  EXPECT_FALSE(w.test(1));
  EXPECT_FALSE(w.test(11));
}

TEST(PerfPages, OverlappingRegionsCountEachPageOnce) {
  // -o: every vCPU passes over all memory, so they write the same pages.
  const DirtySet w = pages_written(16, {{.first_page = 0, .pages = 16, .stride = 2},
                                        {.first_page = 0, .pages = 16, .stride = 2}});
  EXPECT_EQ(w.count(), 8u);
}

TEST(PerfPages, EqualSetsPass) {
  const DirtySet w = pages_written(64, {{.first_page = 0, .pages = 64, .stride = 4}});
  DirtySet c = w;
  EXPECT_FALSE(compare_pass_pages("dirty-log", 2, w, "the guest wrote", c).has_value());
}

TEST(PerfPages, MissingPageFailsNamingModePassAndBothNumbers) {
  const DirtySet w = pages_written(64, {{.first_page = 0, .pages = 64, .stride = 4}});
  DirtySet c = w;
  c.reset(8);
  const auto why = compare_pass_pages("dirty-ring", 3, w, "the guest wrote", c);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("dirty-ring"), std::string::npos) << *why;
  EXPECT_NE(why->find("pass 3"), std::string::npos) << *why;
  EXPECT_NE(why->find("collected 15 pages"), std::string::npos) << *why;
  EXPECT_NE(why->find("the guest wrote 16"), std::string::npos) << *why;
  EXPECT_NE(why->find("1 missing (first: region page 8)"), std::string::npos) << *why;
}

TEST(PerfPages, ExtraPageFailsEvenWhenCountsWouldHideIt) {
  // One page missing and another extra: same count, still a failure.
  const DirtySet w = pages_written(64, {{.first_page = 0, .pages = 64, .stride = 4}});
  DirtySet c = w;
  c.reset(4);
  c.set(5);
  const auto why = compare_pass_pages("clear-log", 2, w, "the guest wrote", c);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("collected 16 pages"), std::string::npos) << *why;
  EXPECT_NE(why->find("1 missing (first: region page 4)"), std::string::npos) << *why;
  EXPECT_NE(why->find("1 extra (first: region page 5)"), std::string::npos) << *why;
}
