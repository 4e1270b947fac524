// The verifier on synthetic memory: every rule, each with a twin that
// fails, and each collector fault's signature (the negative twins of the
// live runs), without KVM.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "dirtyscope/verifier.hpp"
#include "protocol.h"

using namespace dirtyscope;

namespace {
// Guest memory stand-in plus the write counters a run keeps: each write
// stores the stamp, the writer and the writer's sequence number.
struct FakeGuest {
  FakeGuest(uint64_t n, uint32_t vcpus) : bytes(n * 4096, 0), pages(n), writes(vcpus, 0) {}
  // vCPU `vcpu` writes `page` with `stamp`; returns the write's number.
  uint64_t write(uint64_t page, uint64_t stamp, uint32_t vcpu = 0) {
    const uint64_t seq = begin_write(page, stamp, vcpu);
    finish(vcpu);
    return seq;
  }
  // The stores of a write whose counter increment has not happened yet:
  // the vCPU sits inside the write (finish() ends it).
  uint64_t begin_write(uint64_t page, uint64_t stamp, uint32_t vcpu = 0) {
    auto* words = reinterpret_cast<uint64_t*>(&bytes[page * 4096]);
    const uint64_t seq = writes[vcpu];
    words[0] = stamp;
    words[1] = DS_WRITE_WORD(vcpu + 1, seq);
    return seq;
  }
  void finish(uint32_t vcpu = 0) { ++writes[vcpu]; }
  StampView view() const { return {bytes.data(), pages}; }
  // A collection that saw the counters as they are now, before and after
  // (no write overlapped it).
  Collection collection(uint64_t number, uint64_t iteration, bool paused) const {
    return Collection{number, iteration, paused, writes, writes};
  }
  std::vector<uint8_t> bytes;
  uint64_t pages;
  std::vector<uint64_t> writes;
};

DirtySet set_of(uint64_t pages, std::initializer_list<uint64_t> dirty) {
  DirtySet s(pages);
  for (uint64_t p : dirty) s.set(p);
  return s;
}

// A verifier that has seen the collection before iteration 1 (nothing dirty).
struct Started {
  explicit Started(FakeGuest& g) : verifier(g.pages, static_cast<uint32_t>(g.writes.size())) {
    EXPECT_TRUE(verifier.initial(g.collection(0, 0, true), g.view(), DirtySet(g.pages), false).ok());
  }
  CollectionVerifier verifier;
};
}  // namespace

// Most tests: 64 pages, one vCPU, the verifier started; restart() for another shape.
class Verifier : public ::testing::Test {
 protected:
  void restart(uint64_t pages, uint32_t vcpus) {
    g = FakeGuest(pages, vcpus);
    s.emplace(g);
  }
  Verdict judge(const Collection& c, const DirtySet& reported) { return s->verifier.judge(c, g.view(), reported); }
  // A new verifier's judgement of the collection before iteration 1.
  Verdict initial(const DirtySet& reported, bool initially_set) {
    return CollectionVerifier(g.pages, 1).initial(g.collection(0, 0, true), g.view(), reported, initially_set);
  }
  FakeGuest g{64, 1};
  std::optional<Started> s{std::in_place, g};
};

TEST_F(Verifier, ExactCollectionPasses) {
  restart(128, 1);
  g.write(3, 1);
  g.write(70, 1);
  Verdict v = judge(g.collection(1, 1, true), set_of(128, {3, 70}));
  EXPECT_TRUE(v.ok()) << v.summary();
  EXPECT_EQ(v.reported, 2u);
  EXPECT_EQ(v.written, 2u);
  EXPECT_EQ(v.clean, 126u);
}

// drop-dirty: a page written before the collection that it did not report.
TEST_F(Verifier, DroppedDirtyPageIsMissed) {
  g.write(9, 1);
  g.write(10, 1);
  Verdict v = judge(g.collection(1, 1, true), set_of(64, {10}));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.missed, 1u);
  ASSERT_EQ(v.first.size(), 1u);
  EXPECT_EQ(v.first[0].kind, Offense::Missed);
  EXPECT_EQ(v.first[0].page, 9u);
  EXPECT_EQ(v.first[0].now.stamp, 1u);
  EXPECT_EQ(v.first[0].now.seq, 0u);
  EXPECT_EQ(v.first[0].then_collection, 0u);  // never reported before
}

// Per collection, not on the union: a page reported by a running collection
// and written again after it must be reported by the next one, even though
// the iteration's union already holds it (lost re-protection).
TEST_F(Verifier, RewriteAfterReportMustBeReportedAgain) {
  g.write(5, 1);
  ASSERT_TRUE(judge(g.collection(1, 1, false), set_of(64, {5})).ok());
  g.write(6, 1);  // write 1 may have been under way as collection 1 returned,
  g.write(5, 1);  // write 2 surely began after: KVM had re-protected page 5
  Verdict v = judge(g.collection(2, 1, true), set_of(64, {6}));
  ASSERT_EQ(v.missed, 1u) << v.summary();
  EXPECT_EQ(v.first[0].page, 5u);
  EXPECT_EQ(v.first[0].then_collection, 1u);
  EXPECT_EQ(v.first[0].then.seq, 0u);  // what it held when reported
  EXPECT_EQ(v.first[0].now.seq, 2u);   // and what it holds now
  EXPECT_FALSE(v.first[0].carried);
  EXPECT_EQ(v.where(), "collection 2 (iteration 1, vCPUs paused)");
}

TEST_F(Verifier, RewriteAfterReportReportedAgainPassesAndCountsAsRewritten) {
  g.write(5, 1);
  ASSERT_TRUE(judge(g.collection(1, 1, false), set_of(64, {5})).ok());
  g.write(6, 1);
  g.write(5, 1);
  Verdict v = judge(g.collection(2, 1, true), set_of(64, {5, 6}));
  EXPECT_TRUE(v.ok()) << v.summary();
  EXPECT_EQ(v.rewritten, 1u);
}

// The same across iterations: reported in iteration 1, written in 2.
TEST_F(Verifier, NextIterationRewriteMustBeReported) {
  g.write(7, 1);
  ASSERT_TRUE(judge(g.collection(1, 1, true), set_of(64, {7})).ok());
  g.write(7, 2);
  EXPECT_EQ(judge(g.collection(2, 2, true), DirtySet(64)).missed, 1u);
}

// A write that overlapped a collection may be reported by it or by the
// next one; if by neither, the next one missed it.
TEST_F(Verifier, OverlappingWriteIsDueAtTheNextCollection) {
  for (bool reported_next : {true, false}) {
    restart(64, 1);
    Collection running = g.collection(1, 1, false);
    g.write(12, 1);  // during collection 1: its counters before and after differ
    running.writes_after = g.writes;
    ASSERT_TRUE(judge(running, DirtySet(64)).ok());
    Verdict v = judge(g.collection(2, 1, true), reported_next ? set_of(64, {12}) : DirtySet(64));
    if (reported_next) {
      EXPECT_TRUE(v.ok()) << v.summary();
    } else {
      ASSERT_EQ(v.missed, 1u);
      EXPECT_TRUE(v.first[0].carried);
    }
  }
}

// The blind spot the schedule checker found in an earlier rule: a write
// that overlapped collection 1 by its counter, but whose stores landed
// after collection 1 had read the page, so that scan never saw it. KVM
// re-protected the page before those stores and had to log them again:
// collection 2 must report the page. Whether collection 1 reported the
// page (for an earlier write) or not, it did not report it showing this
// write. If collection 2 does not report it either, it missed it.
TEST_F(Verifier, OverlappingWriteUnseenByItsCollectionIsDueAtTheNext) {
  for (bool first_reported_older : {false, true})
    for (bool reported_next : {false, true}) {
      SCOPED_TRACE(std::string(first_reported_older ? "collection 1 reported an older write" : "collection 1 "
                                                                                                 "reported nothing") +
                   (reported_next ? ", collection 2 reports it" : ", collection 2 does not"));
      restart(64, 2);
      if (first_reported_older) g.write(12, 1, 1);  // vCPU 1, complete before collection 1
      Collection running = g.collection(1, 1, false);  // vCPU 0's write #0 may be under way
      ASSERT_TRUE(judge(running, first_reported_older ? set_of(64, {12}) : DirtySet(64)).ok());
      g.write(12, 1, 0);  // its stores land only now, after the scan
      // Collection 2 runs, so the page may wait for vCPU 1 (see
      // AnotherVcpusFaultMayDelayTheReport); paused, it may not.
      Verdict v = judge(g.collection(2, 1, true), reported_next ? set_of(64, {12}) : DirtySet(64));
      if (reported_next) {
        EXPECT_TRUE(v.ok()) << v.summary();
        continue;
      }
      ASSERT_EQ(v.missed, 1u) << v.summary();
      EXPECT_EQ(v.first[0].page, 12u);
      EXPECT_EQ(v.first[0].now.writer, 1u);
      EXPECT_EQ(v.first[0].now.seq, 0u);
      EXPECT_TRUE(v.first[0].carried);
    }
}

// Reported by the collection it overlapped, and again by the next: allowed
// (KVM may fault the write in again after re-protecting it).
TEST_F(Verifier, OverlappingWriteReportedTwiceIsNotStale) {
  Collection running = g.collection(1, 1, false);
  g.write(12, 1);
  running.writes_after = g.writes;
  ASSERT_TRUE(judge(running, set_of(64, {12})).ok());
  EXPECT_TRUE(judge(g.collection(2, 1, true), set_of(64, {12})).ok());
}

// A vCPU stalled inside one write across two running collections (a
// memslot update can hold it between its stores and its counter): the
// first reported the page showing that write, so the second, which the
// write also overlapped, owes nothing, and neither does the next.
TEST_F(Verifier, WriteSpanningCollectionsReportedOnceIsNotMissed) {
  g.begin_write(12, 1);
  ASSERT_TRUE(judge(g.collection(1, 1, false), set_of(64, {12})).ok());
  ASSERT_TRUE(judge(g.collection(2, 1, false), DirtySet(64)).ok());
  g.finish();
  Verdict v = judge(g.collection(3, 1, true), DirtySet(64));
  EXPECT_TRUE(v.ok()) << v.summary();
}

// Its twin: the earlier report showed the page's previous write, so the
// stalled write, which began after that report, is still owed and missed.
TEST_F(Verifier, WriteSpanningCollectionsAfterAnEarlierReportIsMissed) {
  g.write(12, 1);
  ASSERT_TRUE(judge(g.collection(1, 1, false), set_of(64, {12})).ok());
  g.begin_write(12, 1);
  ASSERT_TRUE(judge(g.collection(2, 1, false), DirtySet(64)).ok());
  g.finish();
  Verdict v = judge(g.collection(3, 1, true), DirtySet(64));
  ASSERT_EQ(v.missed, 1u) << v.summary();
  EXPECT_EQ(v.first[0].page, 12u);
  EXPECT_EQ(v.first[0].then.seq, 0u);
  EXPECT_EQ(v.first[0].now.seq, 1u);
}

// A write that began after a running collection returned is not due there.
TEST_F(Verifier, WriteAfterRunningCollectionIsNotDueThere) {
  Collection running = g.collection(1, 1, false);
  g.write(20, 1);  // write 0 may be under way at the return: due next time
  g.write(21, 1);  // write 1 surely began after it
  EXPECT_TRUE(judge(running, DirtySet(64)).ok());
  // ... but the paused collection after it must report both.
  EXPECT_EQ(judge(g.collection(2, 1, true), set_of(64, {20})).missed, 1u);
}

// skip-clear: a page reported and never written again is reported again.
TEST_F(Verifier, ReportWithoutWriteSinceIsStaleWhenPaused) {
  g.write(30, 1);
  ASSERT_TRUE(judge(g.collection(1, 1, false), set_of(64, {30})).ok());
  Verdict v = judge(g.collection(2, 1, true), set_of(64, {30}));
  ASSERT_EQ(v.stale, 1u) << v.summary();
  EXPECT_EQ(v.first[0].kind, Offense::Stale);
  EXPECT_EQ(v.first[0].then_collection, 1u);
}

// While vCPUs run, a write in progress may dirty a page before its words
// change, so the same report is no offence there.
TEST_F(Verifier, ReportWithoutWriteSinceIsNotJudgedWhileRunning) {
  g.write(30, 1);
  ASSERT_TRUE(judge(g.collection(1, 1, false), set_of(64, {30})).ok());
  EXPECT_TRUE(judge(g.collection(2, 1, false), set_of(64, {30})).ok());
}

TEST_F(Verifier, NeverWrittenPageReportedIsStale) {
  g.write(1, 1);
  Verdict v = judge(g.collection(1, 1, true), set_of(64, {1, 2}));
  EXPECT_EQ(v.stale, 1u) << v.summary();
}

// skip-clear in dirty-log: an old bitmap handed back in iteration 2.
TEST_F(Verifier, ReusedOldBitmapIsMissedAndStale) {
  g.write(1, 1);
  g.write(2, 1);
  ASSERT_TRUE(judge(g.collection(1, 1, true), set_of(64, {1, 2})).ok());
  g.write(2, 2);
  g.write(3, 2);
  Verdict v = judge(g.collection(2, 2, true), set_of(64, {1, 2}));
  EXPECT_EQ(v.missed, 1u);  // page 3
  EXPECT_EQ(v.stale, 1u);   // page 1
}

TEST_F(Verifier, MissedPagesAreCountedPerWritingVcpu) {
  restart(64, 2);
  g.write(1, 1, 0);
  g.write(2, 1, 1);
  g.write(3, 1, 1);
  Verdict v = judge(g.collection(1, 1, true), DirtySet(64));
  EXPECT_EQ(v.missed, 3u);
  EXPECT_EQ(v.missed_by_writer[1], 1u);
  EXPECT_EQ(v.missed_by_writer[2], 2u);
  EXPECT_EQ(v.summary(), "missed 3 (vCPU 0: 1, vCPU 1: 2), stale 0, future 0");
}

// Each vCPU's window counts its own writes only.
TEST_F(Verifier, WindowsArePerVcpu) {
  restart(64, 2);
  Collection running = g.collection(1, 1, false);
  g.write(40, 1, 1);  // vCPU 1 overlaps the collection
  running.writes_after = g.writes;
  g.write(41, 1, 0);  // vCPU 0 writes after it returned
  EXPECT_TRUE(judge(running, DirtySet(64)).ok());
}

TEST_F(Verifier, FutureStampFails) {
  g.write(8, 3);
  EXPECT_EQ(judge(g.collection(1, 2, true), set_of(64, {8})).future, 1u);
}

TEST_F(Verifier, UnknownWriterFails) {
  restart(64, 2);
  g.write(8, 1, 1);  // vCPU 1, in a run the verifier was told has one vCPU
  CollectionVerifier one_vcpu(64, 1);
  Collection c{1, 1, true, {g.writes[0]}, {g.writes[0]}};
  EXPECT_EQ(one_vcpu.judge(c, g.view(), set_of(64, {8})).future, 1u);
}

TEST_F(Verifier, ListsAtMostTenOffences) {
  for (uint64_t p = 0; p < 20; ++p) g.write(p, 1);
  Verdict v = judge(g.collection(1, 1, true), DirtySet(64));
  EXPECT_EQ(v.missed, 20u);
  EXPECT_EQ(v.first.size(), Verdict::kMaxListed);
}

TEST_F(Verifier, InitiallySetNeedsEveryPage) {
  DirtySet all(64);
  for (uint64_t p = 0; p < 64; ++p) all.set(p);
  EXPECT_TRUE(initial(all, true).ok());
  all.reset(17);
  Verdict v = initial(all, true);
  EXPECT_EQ(v.initial_wrong, 1u);
  EXPECT_EQ(v.first[0].kind, Offense::InitialMissing);
}

TEST_F(Verifier, WithoutInitiallySetNothingIsDirtyBeforeWrites) {
  EXPECT_TRUE(initial(DirtySet(64), false).ok());
  Verdict v = initial(set_of(64, {4}), false);
  EXPECT_EQ(v.initial_wrong, 1u);
  EXPECT_EQ(v.first[0].kind, Offense::InitialUnexpected);
}

TEST_F(Verifier, WriteBeforeFirstIterationIsCaught) {
  g.write(2, 1);
  EXPECT_EQ(initial(set_of(64, {2}), false).future, 1u);
}

TEST(PageWrite, DescribesWriterAndSequence) {
  EXPECT_EQ(PageWrite::decode(3, DS_WRITE_WORD(1, 1234)).describe(), "stamp 3 by vCPU 0 write #1234");
  EXPECT_EQ(PageWrite{}.describe(), "never written");
}

// Writes before logging began hold stamp 0: nothing to report at the
// start, and reporting them later, unwritten since, is stale.
TEST_F(Verifier, WritesBeforeLoggingAreNotDirty) {
  for (uint64_t p = 0; p < 64; ++p) g.write(p, 0);
  s.emplace(g);  // started on that memory
  g.write(3, 1);
  Verdict v = judge(g.collection(1, 1, true), set_of(64, {3, 4}));
  EXPECT_EQ(v.stale, 1u) << v.summary();
  EXPECT_EQ(v.first[0].page, 4u);
  EXPECT_EQ(initial(set_of(64, {5}), false).initial_wrong, 1u);
}

// A write under logging that KVM never reports (e.g. enabling logging left
// the page writable) is missed at the first collection.
TEST_F(Verifier, FirstWriteUnderLoggingMustBeReported) {
  for (uint64_t p = 0; p < 64; ++p) g.write(p, 0);
  s.emplace(g);  // started on that memory
  g.write(63, 1);
  EXPECT_EQ(judge(g.collection(1, 1, false), DirtySet(64)).missed, 1u);
}

// KVM makes a write-protected page writable and only then logs it (x86
// fast_page_fault, arm64 user_mem_abort). A vCPU preempted between the
// two lets another vCPU write the page without a fault, finish, and a
// whole running collection pass before the page is logged: the shape of
// "missed 1 (vCPU 1: 1) ... holds stamp 4 by vCPU 1 write #N; when last
// reported it held stamp 3 by vCPU 0". The page may wait while the
// faulting vCPU is still inside that write; once it has moved on, or at a
// paused collection, the page is owed.
TEST_F(Verifier, AnotherVcpusFaultMayDelayTheReport) {
  enum class Then { ReportedOnceLogged, NotReportedAfterFaultingVcpuMovedOn, NotReportedWhenPaused };
  for (Then then : {Then::ReportedOnceLogged, Then::NotReportedAfterFaultingVcpuMovedOn, Then::NotReportedWhenPaused}) {
    SCOPED_TRACE(static_cast<int>(then));
    restart(64, 2);
    g.write(12, 1, 0);  // vCPU 0's write #0, reported: KVM re-protects the page
    ASSERT_TRUE(judge(g.collection(1, 1, true), set_of(64, {12})).ok());
    // Iteration 2: vCPU 0 faults on the page, which KVM makes writable, and
    // stalls before logging it; vCPU 1 writes the page with no fault.
    const uint64_t vcpu1_write = g.write(12, 2, 1);
    Verdict v = judge(g.collection(2, 2, false), DirtySet(64));
    EXPECT_TRUE(v.ok()) << "the page may wait for vCPU 0's fault: " << v.summary();
    EXPECT_EQ(v.began_waiting, 1u);
    // Still inside that write at the next collection: the page still waits.
    v = judge(g.collection(3, 2, false), DirtySet(64));
    EXPECT_TRUE(v.ok()) << v.summary();
    EXPECT_EQ(v.began_waiting, 0u);  // counted once, where it began
    switch (then) {
      case Then::ReportedOnceLogged:
        g.write(12, 2, 0);  // vCPU 0 logs the page, its write lands
        v = judge(g.collection(4, 2, false), set_of(64, {12}));
        EXPECT_TRUE(v.ok()) << v.summary();
        EXPECT_TRUE(judge(g.collection(5, 2, true), DirtySet(64)).ok());
        break;
      case Then::NotReportedAfterFaultingVcpuMovedOn:
        g.write(20, 2, 0);  // vCPU 0 moved on: it logged whatever it faulted on
        v = judge(g.collection(4, 2, false), DirtySet(64));
        ASSERT_EQ(v.missed, 1u) << v.summary();
        EXPECT_EQ(v.first[0].page, 12u);
        EXPECT_EQ(v.first[0].now.seq, vcpu1_write);
        EXPECT_EQ(v.first[0].waited_from, 2u);
        EXPECT_FALSE(v.first[0].carried);
        EXPECT_EQ(v.missed_by_writer[2], 1u);
        break;
      case Then::NotReportedWhenPaused:
        v = judge(g.collection(4, 2, true), DirtySet(64));
        ASSERT_EQ(v.missed, 1u) << v.summary();
        EXPECT_EQ(v.first[0].waited_from, 2u);
        break;
    }
  }
}

// With one vCPU no other vCPU can hold a fault on the page: a running
// collection owes it at once (the rule above never applies).
TEST_F(Verifier, OneVcpuNeverWaits) {
  g.write(12, 1);
  ASSERT_TRUE(judge(g.collection(1, 1, true), set_of(64, {12})).ok());
  g.write(12, 2);
  Verdict v = judge(g.collection(2, 2, false), DirtySet(64));
  ASSERT_EQ(v.missed, 1u) << v.summary();
  EXPECT_EQ(v.first[0].waited_from, 0u);
}

// A waiting page written again is judged by its new write: the new
// write's own rule applies, and the wait starts afresh.
TEST_F(Verifier, WaitingPageWrittenAgainIsJudgedAfresh) {
  restart(64, 2);
  g.write(12, 1, 1);
  ASSERT_TRUE(judge(g.collection(1, 1, false), DirtySet(64)).ok());  // waits (vCPU 0 may be faulting)
  g.write(20, 1, 0);  // vCPU 0 moves on ...
  g.write(12, 1, 1);  // ... and vCPU 1 writes the page again
  // The new write may wait at collection 2, since vCPU 0 may be inside a new fault.
  EXPECT_TRUE(judge(g.collection(2, 1, false), set_of(64, {20})).ok());
  Verdict v = judge(g.collection(3, 1, true), DirtySet(64));
  ASSERT_EQ(v.missed, 1u) << v.summary();
  EXPECT_EQ(v.first[0].now.seq, 1u);
  EXPECT_EQ(v.first[0].waited_from, 2u);
}
