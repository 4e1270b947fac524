// --stats agreement on synthetic numbers: it passes when the source saw
// exactly what the run did, and each kind of disagreement is caught.
#include <gtest/gtest.h>

#include "dirtyscope/stats/stats_agreement.hpp"

using namespace dirtyscope;

namespace {
ModeResult ring_run() {
  ModeResult r;
  r.mode = "dirty-ring";
  r.ring_entries = 1024;
  r.vcpus = 2;
  r.counters.ring_entries_harvested = 500;
  r.counters.ring_full_exits = 3;
  r.ioctls.reset_dirty_rings = 10;
  return r;
}

stats::DirtyStats seen(const char* source, uint64_t pushes, uint64_t resets, uint64_t full,
                       uint64_t reset_ioctls) {
  stats::DirtyStats s;
  s.source = source;
  stats::VmStats& vm = s.vms[1234];
  vm.pid = 1234;
  vm.vcpus[0].ring_pushes = pushes / 2;
  vm.vcpus[1].ring_pushes = pushes - pushes / 2;
  vm.vcpus[0].ring_resets = resets / 2;
  vm.vcpus[1].ring_resets = resets - resets / 2;
  vm.vcpus[1].ring_full_exits = full;
  vm.ioctl(stats::DirtyIoctl::ResetDirtyRings).count = reset_ioctls;
  return s;
}

size_t disagreements(const std::vector<StatsComparison>& cs) {
  size_t n = 0;
  for (const auto& c : cs) n += !c.agrees();
  return n;
}
}  // namespace

TEST(StatsAgreement, ExactCountsAgree) {
  auto cs = compare_stats(seen("bpf", 500, 20, 3, 10), ring_run());
  EXPECT_EQ(cs.size(), 6u);  // 3 ring counters + 3 ioctl counts
  EXPECT_EQ(disagreements(cs), 0u);
}

TEST(StatsAgreement, DroppedPushIsCaught) {
  auto cs = compare_stats(seen("bpf", 499, 20, 3, 10), ring_run());
  ASSERT_EQ(disagreements(cs), 1u);
  EXPECT_EQ(cs[0].what, "bpf.ring_pushes");
  EXPECT_EQ(cs[0].describe(),
            "bpf.ring_pushes 499 != 500 ring entries harvested (not excused: the source counts no drops for this VM)")
      << "BPF counts no drops: nothing can excuse its mismatch";
}

TEST(StatsAgreement, ResetsMustBeCallsTimesVcpus) {
  EXPECT_EQ(disagreements(compare_stats(seen("bpf", 500, 10, 3, 10), ring_run())), 1u);
}

TEST(StatsAgreement, MissedRingFullExitIsCaught) {
  EXPECT_EQ(disagreements(compare_stats(seen("bpf", 500, 20, 2, 10), ring_run())), 1u);
}

TEST(StatsAgreement, LostIoctlSampleIsCaught) {
  auto cs = compare_stats(seen("bpf", 500, 20, 3, 9), ring_run());
  ASSERT_EQ(disagreements(cs), 1u);
  for (const auto& c : cs)
    if (!c.agrees()) {
      EXPECT_EQ(c.what, "bpf.ioctl.KVM_RESET_DIRTY_RINGS.count");
    }
}

TEST(StatsAgreement, KmodSourceIsNotAskedForIoctlLatencies) {
  auto cs = compare_stats(seen("kmod", 500, 20, 3, 0), ring_run());
  EXPECT_EQ(cs.size(), 3u);
  EXPECT_EQ(disagreements(cs), 0u);
  EXPECT_EQ(cs[0].what, "kmod.ring_pushes");
}

TEST(StatsAgreement, BitmapModesCompareIoctlsOnly) {
  ModeResult r;
  r.mode = "clear-log";
  r.ioctls.get_dirty_log = 7;
  r.ioctls.clear_dirty_log = 40;
  stats::DirtyStats s;
  s.source = "bpf";
  s.vms[1].ioctl(stats::DirtyIoctl::GetDirtyLog).count = 7;
  s.vms[1].ioctl(stats::DirtyIoctl::ClearDirtyLog).count = 39;
  auto cs = compare_stats(s, r);
  EXPECT_EQ(cs.size(), 3u);
  EXPECT_EQ(disagreements(cs), 1u);
}

// --- Drops excuse a mismatch only as far as this VM's own drops reach,
// and only in the direction drops cause: seen <= expected <= seen + drops.

namespace {
stats::DirtyStats with_vm_drops(uint64_t pushes, uint64_t dropped) {
  auto s = seen("kmod", pushes, 20, 3, 0);
  s.vms[1234].drops = stats::DropCounters{.events = dropped};
  return s;
}
}  // namespace

TEST(StatsAgreement, ThisVmsDropsExcuseAsManyMissing) {
  auto cs = compare_stats(with_vm_drops(497, 3), ring_run());
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_FALSE(cs[0].exact());
  EXPECT_TRUE(cs[0].agrees()) << "3 missing, 3 dropped: explained";
  EXPECT_EQ(cs[0].describe(),
            "kmod.ring_pushes 497 != 500 ring entries harvested (excused: 3 missing, this VM dropped 3 events)");
  EXPECT_EQ(cs[1].describe(), "kmod.ring_resets 20 == 20 (KVM_RESET_DIRTY_RINGS calls x 2 vCPUs)")
      << "equal counts need no excuse";
}

TEST(StatsAgreement, ThisVmsDropsExcuseFewerMissing) {
  EXPECT_TRUE(compare_stats(with_vm_drops(499, 3), ring_run())[0].agrees());
}

TEST(StatsAgreement, MoreMissingThanDroppedFails) {  // twin of the two above
  auto cs = compare_stats(with_vm_drops(496, 3), ring_run());
  EXPECT_FALSE(cs[0].agrees());
  EXPECT_EQ(cs[0].describe(),
            "kmod.ring_pushes 496 != 500 ring entries harvested (not excused: 4 missing, but this VM dropped 3 events)");
}

TEST(StatsAgreement, SeeingMoreThanTheRunDidFailsWhateverWasDropped) {
  auto cs = compare_stats(with_vm_drops(501, 1000), ring_run());
  EXPECT_FALSE(cs[0].agrees()) << "a drop never adds a count";
  EXPECT_EQ(cs[0].describe(),
            "kmod.ring_pushes 501 != 500 ring entries harvested (not excused: 1 more than the run did; drops only "
            "lose counts)");
}

TEST(StatsAgreement, DropsExcuseEachCounterWithinTheBound) {
  // 2 pushes and 1 full exit missing, 3 dropped: each within the bound.
  auto s = with_vm_drops(498, 3);
  s.vms[1234].vcpus[1].ring_full_exits = 2;
  auto cs = compare_stats(s, ring_run());
  EXPECT_EQ(disagreements(cs), 0u);
  EXPECT_TRUE(cs[2].excused());
}

TEST(StatsAgreement, WithoutDropsAMismatchFails) {
  auto cs = compare_stats(with_vm_drops(497, 0), ring_run());
  EXPECT_FALSE(cs[0].agrees());
  EXPECT_EQ(cs[0].describe(),
            "kmod.ring_pushes 497 != 500 ring entries harvested (not excused: 3 missing, but this VM dropped 0 events)");
}

TEST(StatsAgreement, ModuleWideDropsExcuseNothing) {
  // Other VMs' drops (or those of VMs the module never tracked, such as
  // this one when its table is full) say nothing about this VM's counts.
  auto s = seen("kmod", 0, 20, 3, 0);
  s.drops = stats::DropCounters{.events = 18513};
  auto cs = compare_stats(s, ring_run());
  EXPECT_FALSE(cs[0].agrees());
  EXPECT_EQ(cs[0].describe(),
            "kmod.ring_pushes 0 != 500 ring entries harvested (not excused: 18513 events dropped module-wide, but "
            "none is charged to this VM: they may be any VM's)");
}

TEST(StatsAgreement, ModuleWideDropsAddNothingToThisVmsOwn) {
  auto s = with_vm_drops(495, 3);
  s.drops = stats::DropCounters{.events = 100};
  EXPECT_FALSE(compare_stats(s, ring_run())[0].agrees());
}

TEST(StatsAgreement, AResetByAnotherReaderIsNamedButExcusesNothing) {
  // Counts lost to someone else's reset are not counted anywhere: the
  // mismatch fails, and says what probably caused it.
  auto s = with_vm_drops(120, 0);
  s.inexact = {"VM 1-2: reset by another reader (generation 0 -> 1), counted since that reset"};
  auto cs = compare_stats(s, ring_run());
  EXPECT_FALSE(cs[0].agrees());
  EXPECT_EQ(cs[0].describe(),
            "kmod.ring_pushes 120 != 500 ring entries harvested (not excused: 380 missing, but this VM dropped 0 "
            "events; VM 1-2: reset by another reader (generation 0 -> 1), counted since that reset)");
}
