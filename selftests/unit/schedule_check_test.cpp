// The verifier proven on a reference model of KVM's dirty-tracking
// contract, over every interleaving of bounded runs (schedule_model.hpp):
// no false alarm with a correct KVM, and every lost write caught when KVM
// misses one dirty mark, one re-protect or one ring entry. Each case prints
// how many schedules it checked. The checker's own negative twins bend the
// verifier and must be caught.
#include <gtest/gtest.h>

#include <cstdio>
#include <ostream>

#include "schedule_model.hpp"

using namespace dirtyscope;
using namespace dirtyscope::schedule;

namespace {

struct Case {
  Shape shape;
  Fault fault;
  uint32_t mid_harvests;
  bool late_mark = false;
};

std::string case_name(const Case& c);
// What ctest shows beside the name, instead of the struct's bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << case_name(c); }

std::string case_name(const Case& c) {
  std::string n = std::string(shape_name(c.shape)) + "_" + fault_name(c.fault) +
                  (c.mid_harvests ? "_with_harvests_between" : "") + (c.late_mark ? "_late_mark" : "");
  for (auto& ch : n)
    if (ch == '-' || ch == ' ') ch = '_';
  return n;
}

// At least 2 vCPUs, 3 pages and 3 collections (running or paused; the last
// paused), each vCPU writing once: two writes to one page by two vCPUs
// cover what a vCPU rewriting its page does, at a fraction of the cost.
Bounds bounds_for(const Case& c) {
  Bounds b;
  b.mid_harvests = c.mid_harvests;
  b.late_mark = c.late_mark;
  return b;
}

void print(const Case& c, const Result& r) {
  std::printf("%s%s, fault %s: %s\n", shape_name(c.shape), c.late_mark ? " (late mark)" : "", fault_name(c.fault),
              r.summary().c_str());
}

class ScheduleCheck : public ::testing::TestWithParam<Case> {};

TEST_P(ScheduleCheck, VerdictMatchesTheModel) {
  const Case c = GetParam();
  const Result r = check(c.shape, c.fault, bounds_for(c));
  print(c, r);
  EXPECT_GT(r.schedules, 100000u);
  EXPECT_EQ(r.false_alarms, 0u) << "a correct KVM failed:\n" << r.false_alarm_example;
  EXPECT_EQ(r.missed_losses, 0u) << "a lost write passed:\n" << r.missed_loss_example;
  if (c.fault == Fault::None) {
    // The ground truth itself: a correct KVM loses nothing, ever.
    EXPECT_EQ(r.lost, 0u);
    EXPECT_EQ(r.caught, 0u);
  } else {
    // Not vacuous: the fault fires and loses writes in many schedules.
    EXPECT_GT(r.faulted, 0u);
    EXPECT_GT(r.lost, 0u);
    EXPECT_GE(r.caught, r.lost);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ScheduleCheck,
    ::testing::Values(Case{Shape::Bitmap, Fault::None, 0}, Case{Shape::Bitmap, Fault::MissedMark, 0},
                      Case{Shape::Bitmap, Fault::MissedReprotect, 0}, Case{Shape::ClearLog, Fault::None, 0},
                      Case{Shape::ClearLog, Fault::MissedMark, 0}, Case{Shape::ClearLog, Fault::MissedReprotect, 0},
                      Case{Shape::Ring, Fault::None, 0}, Case{Shape::Ring, Fault::MissedMark, 0},
                      Case{Shape::Ring, Fault::MissedReprotect, 0}, Case{Shape::Ring, Fault::DroppedRingEntry, 0},
                      Case{Shape::Ring, Fault::None, 1}, Case{Shape::Ring, Fault::MissedMark, 1},
                      Case{Shape::Ring, Fault::MissedReprotect, 1}, Case{Shape::Ring, Fault::DroppedRingEntry, 1},
                      // KVM marking a page a step after making it writable:
                      // the shape of the 2-vCPU one-page "misses" on 7.2.
                      Case{Shape::Bitmap, Fault::None, 0, true}, Case{Shape::Bitmap, Fault::MissedMark, 0, true},
                      Case{Shape::Bitmap, Fault::MissedReprotect, 0, true}, Case{Shape::ClearLog, Fault::None, 0, true},
                      Case{Shape::ClearLog, Fault::MissedMark, 0, true},
                      Case{Shape::ClearLog, Fault::MissedReprotect, 0, true}, Case{Shape::Ring, Fault::None, 0, true},
                      Case{Shape::Ring, Fault::MissedMark, 0, true}, Case{Shape::Ring, Fault::MissedReprotect, 0, true},
                      Case{Shape::Ring, Fault::DroppedRingEntry, 0, true}),
    [](const auto& p) { return case_name(p.param); });

// The checker's negative twins: a verifier that never judges the last
// collection lets losses pass, and one told that running collections were
// paused raises false alarms. The checker must find both, with a schedule.
TEST(ScheduleCheckTwin, BlindLastCollectionIsCaught) {
  Tamper t;
  t.skip_last_judge = true;
  const Result r = check(Shape::Bitmap, Fault::MissedMark, Bounds{}, t);
  EXPECT_GT(r.missed_losses, 0u) << r.summary();
  EXPECT_FALSE(r.missed_loss_example.empty());
}

TEST(ScheduleCheckTwin, RunningJudgedAsPausedIsCaught) {
  Tamper t;
  t.before_judge = [](Collection& c, DirtySet&, bool) { c.paused = true; };
  const Result r = check(Shape::Ring, Fault::None, Bounds{}, t);
  EXPECT_GT(r.false_alarms, 0u) << r.summary();
  EXPECT_FALSE(r.false_alarm_example.empty());
}

TEST(ScheduleCheckTwin, UnreportedPageIsCaught) {
  // A collector that drops page 0 from every report: KVM did nothing
  // wrong, but the run lost writes, and the verdict must fail.
  Tamper t;
  t.before_judge = [](Collection&, DirtySet& report, bool) { report.reset(0); };
  const Result r = check(Shape::ClearLog, Fault::None, Bounds{}, t);
  EXPECT_GT(r.caught, 0u) << r.summary();
}

TEST(ScheduleCheckBounds, OutOfRangeIsRefused) {
  Bounds b;
  b.mid_harvests = 1;
  EXPECT_THROW(check(Shape::Bitmap, Fault::None, b), std::invalid_argument);
  EXPECT_THROW(check(Shape::Bitmap, Fault::DroppedRingEntry, Bounds{}), std::invalid_argument);
}

}  // namespace
