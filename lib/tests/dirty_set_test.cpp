#include <gtest/gtest.h>

#include "dirtyscope/collector.hpp"
#include "dirtyscope/dirty_set.hpp"

using namespace dirtyscope;

TEST(DirtySet, MergeAlignedBitmap) {
  DirtySet set(256);
  uint64_t bitmap[2] = {0x5, 1ULL << 63};
  set.merge_bitmap(64, bitmap, 128);
  EXPECT_TRUE(set.test(64));
  EXPECT_FALSE(set.test(65));
  EXPECT_TRUE(set.test(66));
  EXPECT_TRUE(set.test(64 + 127));
  EXPECT_EQ(set.count(), 3u);
}

TEST(DirtySet, MergeUnalignedBitmapIgnoresBitsPastTheSlot) {
  DirtySet set(100);
  uint64_t bitmap[1] = {0xffffffffffffffffULL};
  set.merge_bitmap(10, bitmap, 5);
  EXPECT_EQ(set.count(), 5u);
  EXPECT_TRUE(set.test(10));
  EXPECT_TRUE(set.test(14));
  EXPECT_FALSE(set.test(15));
}

TEST(DirtySet, NextSet) {
  DirtySet set(300);
  EXPECT_EQ(set.next_set(0), 300u);
  set.set(130);
  set.set(299);
  EXPECT_EQ(set.next_set(0), 130u);
  EXPECT_EQ(set.next_set(131), 299u);
}

// The drop-dirty injection removes exactly one collected page.
TEST(Injection, DropDirtyRemovesOnePage) {
  FaultInjector dropping(Injection::DropDirty, {Injection::DropDirty}), honest(Injection::None, {Injection::DropDirty});
  DirtySet set(64);
  set.set(3);
  set.set(40);
  EXPECT_FALSE(honest.drop(set).has_value());
  EXPECT_EQ(set.count(), 2u);
  auto dropped = dropping.drop(set);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(*dropped, 3u);
  EXPECT_EQ(set.count(), 1u);
  EXPECT_TRUE(dropping.fired());
  EXPECT_FALSE(honest.fired());
}

TEST(Injection, NamesRoundTrip) {
  for (const char* name : {"none", "drop-dirty", "skip-clear", "skip-reset", "wrong-slot"}) {
    auto i = parse_injection(name);
    ASSERT_TRUE(i.has_value()) << name;
    EXPECT_STREQ(injection_name(*i), name);
  }
  EXPECT_FALSE(parse_injection("drop").has_value());
}
