// The verifier on synthetic memory: every rule, and each collector fault's
// signature (the negative twins of the live runs), without KVM.
#include <gtest/gtest.h>

#include <vector>

#include "dirtyscope/verifier.hpp"

using namespace dirtyscope;

namespace {
// Guest memory stand-in: `pages` pages, stamps at each page's start.
struct FakeMemory {
  explicit FakeMemory(uint64_t n) : bytes(n * 4096, 0), pages(n) {}
  void write(uint64_t page, uint64_t stamp, uint64_t writer_tag = 1) {
    auto* words = reinterpret_cast<uint64_t*>(&bytes[page * 4096]);
    words[0] = stamp;
    words[1] = writer_tag;
  }
  StampView view() const { return {bytes.data(), pages}; }
  std::vector<uint8_t> bytes;
  uint64_t pages;
};
}  // namespace

TEST(Verifier, ExactCollectionPasses) {
  FakeMemory mem(128);
  DirtySet reported(128);
  mem.write(3, 1);  // iteration 1 wrote pages 3 and 70
  mem.write(70, 1);
  reported.set(3);
  reported.set(70);
  Verdict v = verify_iteration(1, mem.view(), reported);
  EXPECT_TRUE(v.ok()) << v.summary();
  EXPECT_EQ(v.reported, 2u);
  EXPECT_EQ(v.written, 2u);
  EXPECT_EQ(v.clean, 126u);
}

TEST(Verifier, OlderStampsOnCleanPagesPass) {
  FakeMemory mem(64);
  DirtySet reported(64);
  mem.write(5, 1);  // written in iteration 1, untouched in 2
  mem.write(6, 2);
  reported.set(6);
  EXPECT_TRUE(verify_iteration(2, mem.view(), reported).ok());
}

// drop-dirty: a page written this iteration that the collector lost.
TEST(Verifier, DroppedDirtyPageIsMissed) {
  FakeMemory mem(64);
  DirtySet reported(64);
  mem.write(9, 4);
  mem.write(10, 4);
  reported.set(10);  // page 9 dropped
  Verdict v = verify_iteration(4, mem.view(), reported);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.missed, 1u);
  ASSERT_EQ(v.first.size(), 1u);
  EXPECT_EQ(v.first[0].kind, Offense::Missed);
  EXPECT_EQ(v.first[0].page, 9u);
  EXPECT_EQ(v.first[0].stamp, 4u);
}

// What was lost is attributed to the vCPU that wrote it.
TEST(Verifier, MissedPagesAreCountedPerWritingVcpu) {
  FakeMemory mem(64);
  DirtySet reported(64);
  mem.write(1, 2, 1);  // vCPU 0
  mem.write(2, 2, 2);  // vCPU 1
  mem.write(3, 2, 2);  // vCPU 1
  Verdict v = verify_iteration(2, mem.view(), reported);
  EXPECT_EQ(v.missed_by_writer.at(1), 1u);
  EXPECT_EQ(v.missed_by_writer.at(2), 2u);
  EXPECT_NE(v.summary().find("missed 3 (vCPU 0: 1, vCPU 1: 2)"), std::string::npos) << v.summary();
  EXPECT_EQ(v.first[1].writer, 2u);
}

// skip-clear (clear-log): a page never re-protected stays reported dirty
// although it was not written again: stale.
TEST(Verifier, NeverClearedPageIsStale) {
  FakeMemory mem(64);
  DirtySet reported(64);
  mem.write(7, 1);   // written in iteration 1
  reported.set(7);   // still reported in iteration 2
  Verdict v = verify_iteration(2, mem.view(), reported);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.stale, 1u);
  EXPECT_EQ(v.first[0].kind, Offense::Stale);
  EXPECT_EQ(v.first[0].page, 7u);
}

// skip-clear (dirty-log): the previous iteration's bitmap handed back:
// this iteration's pages missed, last iteration's pages stale.
TEST(Verifier, ReusedOldBitmapIsMissedAndStale) {
  FakeMemory mem(64);
  DirtySet old_bitmap(64);
  mem.write(1, 1);
  old_bitmap.set(1);
  mem.write(2, 2);  // iteration 2's write, not in the old bitmap
  Verdict v = verify_iteration(2, mem.view(), old_bitmap);
  EXPECT_EQ(v.missed, 1u);
  EXPECT_EQ(v.stale, 1u);
}

// wrong-slot (ring): an entry credited to the wrong page makes the real
// page missed and the other one stale.
TEST(Verifier, MisattributedEntryIsMissedAndStale) {
  FakeMemory mem(64);
  DirtySet reported(64);
  mem.write(20, 3);
  reported.set(52);  // entry pointed at the wrong slot's page
  Verdict v = verify_iteration(3, mem.view(), reported);
  EXPECT_EQ(v.missed, 1u);
  EXPECT_EQ(v.stale, 1u);
}

TEST(Verifier, FutureStampFails) {
  FakeMemory mem(64);
  DirtySet reported(64);
  mem.write(0, 9);
  reported.set(0);
  Verdict v = verify_iteration(3, mem.view(), reported);
  EXPECT_EQ(v.future, 1u);
  EXPECT_FALSE(v.ok());
}

TEST(Verifier, ListsAtMostTenOffences) {
  FakeMemory mem(100);
  DirtySet reported(100);
  for (uint64_t p = 0; p < 50; ++p) mem.write(p, 1);
  Verdict v = verify_iteration(1, mem.view(), reported);
  EXPECT_EQ(v.missed, 50u);
  EXPECT_EQ(v.first.size(), Verdict::kMaxListed);
  EXPECT_EQ(v.first.front().page, 0u);
}

TEST(Verifier, InitiallySetNeedsEveryPage) {
  FakeMemory mem(128);
  DirtySet reported(128);
  for (uint64_t p = 0; p < 128; ++p) reported.set(p);
  EXPECT_TRUE(verify_initial(mem.view(), reported, true).ok());
  reported.reset(77);
  Verdict v = verify_initial(mem.view(), reported, true);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.first[0].kind, Offense::InitialMissing);
  EXPECT_EQ(v.first[0].page, 77u);
}

TEST(Verifier, WithoutInitiallySetNothingIsDirtyBeforeWrites) {
  FakeMemory mem(64);
  DirtySet reported(64);
  EXPECT_TRUE(verify_initial(mem.view(), reported, false).ok());
  reported.set(12);
  Verdict v = verify_initial(mem.view(), reported, false);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.first[0].kind, Offense::InitialUnexpected);
}

TEST(Verifier, WriteBeforeFirstIterationIsCaught) {
  FakeMemory mem(64);
  DirtySet reported(64);
  mem.write(4, 1);
  EXPECT_EQ(verify_initial(mem.view(), reported, false).future, 1u);
}
