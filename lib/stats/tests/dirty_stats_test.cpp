#include <gtest/gtest.h>

#include "dirtyscope/stats/dirty_stats.hpp"

namespace dirtyscope::stats {
namespace {

VcpuCounters counters(std::uint64_t base, std::uint64_t hwm) {
  return {base, base + 1, base + 2, base + 3, base + 4, base + 5, hwm};
}

TEST(DirtyStats, TotalsSumCountersAndMaxTheHighWaterMark) {
  DirtyStats s;
  s.source = "bpf";
  s.vms[10].vcpus[0] = counters(10, 7);
  s.vms[10].vcpus[1] = counters(100, 3);
  s.vms[20].vcpus[kUnknownVcpu] = counters(1000, 50);
  const VcpuCounters t = s.totals();
  EXPECT_EQ(t.ring_pushes, 1110u);
  EXPECT_EQ(t.ring_resets, 1113u);
  EXPECT_EQ(t.set_spte, 1125u);
  EXPECT_EQ(t.occupancy_hwm, 50u);
  EXPECT_EQ(s.vms[10].totals().occupancy_hwm, 7u);
}

TEST(DirtyStats, IoctlTotals) {
  DirtyStats s;
  s.vms[1].ioctl(DirtyIoctl::GetDirtyLog).count = 3;
  s.vms[2].ioctl(DirtyIoctl::GetDirtyLog).count = 4;
  s.vms[2].ioctl(DirtyIoctl::ResetDirtyRings).count = 5;
  EXPECT_EQ(s.ioctl_total(DirtyIoctl::GetDirtyLog).count, 7u);
  EXPECT_EQ(s.ioctl_total(DirtyIoctl::ClearDirtyLog).count, 0u);
  EXPECT_EQ(s.ioctl_count(), 12u);
  EXPECT_EQ(ioctl_name(DirtyIoctl::ResetDirtyRings), "KVM_RESET_DIRTY_RINGS");
}

TEST(DirtyStats, DeltaSubtractsCountersButKeepsHighWaterMark) {
  DirtyStats before, after;
  before.vms[5].pid = 5;
  before.vms[5].vcpus[0] = counters(10, 40);
  before.vms[5].ioctl(DirtyIoctl::ClearDirtyLog).count = 2;
  before.vms[5].ioctl(DirtyIoctl::ClearDirtyLog).latency_ns.record(100);
  before.vms[5].ioctl(DirtyIoctl::ClearDirtyLog).latency_ns.record(100);
  after = before;
  after.vms[5].vcpus[0] = counters(15, 44);
  after.vms[5].vcpus[1] = counters(1, 2);  // new vCPU: taken whole
  after.vms[6].vcpus[0] = counters(3, 1);  // new VM: taken whole
  after.vms[5].ioctl(DirtyIoctl::ClearDirtyLog).count = 5;
  for (int i = 0; i < 3; ++i) after.vms[5].ioctl(DirtyIoctl::ClearDirtyLog).latency_ns.record(9000);

  const DirtyStats d = delta(after, before);
  EXPECT_EQ(d.vms.at(5).vcpus.at(0).ring_pushes, 5u);
  EXPECT_EQ(d.vms.at(5).vcpus.at(0).occupancy_hwm, 44u);
  EXPECT_EQ(d.vms.at(5).vcpus.at(1).ring_pushes, 1u);
  EXPECT_EQ(d.vms.at(6).vcpus.at(0).ring_pushes, 3u);
  const IoctlStats& c = d.vms.at(5).ioctl(DirtyIoctl::ClearDirtyLog);
  EXPECT_EQ(c.count, 3u);
  EXPECT_EQ(c.latency_ns.count(), 3u);
  EXPECT_GE(*c.latency_ns.percentile(50), 8192.0);
}

TEST(DirtyStats, DeltaOfARestartedSourceClampsToZero) {
  DirtyStats before, after;
  before.vms[5].vcpus[0] = counters(100, 1);
  after.vms[5].vcpus[0] = counters(3, 1);
  EXPECT_EQ(delta(after, before).vms.at(5).vcpus.at(0).ring_pushes, 0u);
}

TEST(DirtyStats, SppTotalIsAbsentUnlessSomeVmHasSppCounts) {
  DirtyStats s;
  s.vms[1].vcpus[0] = counters(1, 1);
  EXPECT_FALSE(s.spp_total().has_value());
  s.vms[2].spp = SppCounters{.allowed = 3, .denied = 4, .events_dropped = 5};
  s.vms[3].spp = SppCounters{.allowed = 10, .denied = 20, .events_dropped = 30};
  ASSERT_TRUE(s.spp_total().has_value());
  EXPECT_EQ(*s.spp_total(), (SppCounters{.allowed = 13, .denied = 24, .events_dropped = 35}));
}

TEST(DirtyStats, DeltaSubtractsSppAndKeepsItAbsentWhereItWas) {
  DirtyStats before, after;
  before.vms[5].spp = SppCounters{.allowed = 10, .denied = 2, .events_dropped = 1};
  after.vms[5].spp = SppCounters{.allowed = 15, .denied = 9, .events_dropped = 1};
  after.vms[6].spp = SppCounters{.allowed = 4, .denied = 0, .events_dropped = 0};  // new VM
  after.vms[7].vcpus[0] = counters(1, 1);                                          // no SPP
  const DirtyStats d = delta(after, before);
  EXPECT_EQ(d.vms.at(5).spp, (SppCounters{.allowed = 5, .denied = 7, .events_dropped = 0}));
  EXPECT_EQ(d.vms.at(6).spp, (SppCounters{.allowed = 4, .denied = 0, .events_dropped = 0}));
  EXPECT_FALSE(d.vms.at(7).spp.has_value());
  // A source restarted in between: clamp to zero, never wrap.
  std::swap(before.vms[5].spp, after.vms[5].spp);
  EXPECT_EQ(delta(after, before).vms.at(5).spp, SppCounters{});
}

}  // namespace
}  // namespace dirtyscope::stats
