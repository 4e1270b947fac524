// `dirtyscope stats`' text view: the SPP rows appear exactly when the
// source counted SPP, with totals and the interval's rate.
#include <gtest/gtest.h>

#include <string>

#include "stats_view.hpp"

namespace dirtyscope::tools {
namespace {

stats::DirtyStats one_vm(std::optional<stats::SppCounters> spp) {
  stats::DirtyStats s;
  s.source = "kmod";
  stats::VmStats& vm = s.vms[4242];
  vm.pid = 4242;
  vm.vcpus[0].ring_pushes = 5;
  vm.spp = spp;
  return s;
}

// The row's label, total and per-second rate, as counter_row prints them.
std::string row(const char* label, unsigned long long total, double rate) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "  %-34s %14llu %12.0f\n", label, total, rate);
  return buf;
}

TEST(StatsView, SppRowsShowTotalsAndRates) {
  const auto total = one_vm(stats::SppCounters{.allowed = 120, .denied = 34, .events_dropped = 2});
  const auto interval = one_vm(stats::SppCounters{.allowed = 20, .denied = 4, .events_dropped = 0});
  const std::string out = render_stats({.source = "kmod", .interval_s = 2, .pid_filter = 0}, total, interval);
  EXPECT_NE(out.find(row("SPP writes allowed", 120, 10)), std::string::npos) << out;
  EXPECT_NE(out.find(row("SPP writes denied", 34, 2)), std::string::npos) << out;
  EXPECT_NE(out.find(row("SPP denial events dropped", 2, 0)), std::string::npos) << out;
}

TEST(StatsView, NoSppRowsWhenTheSourceDoesNotCountSpp) {
  const auto s = one_vm(std::nullopt);
  const std::string out = render_stats({.source = "bpf (tp_btf)", .interval_s = 1, .pid_filter = 0}, s, s);
  EXPECT_EQ(out.find("SPP"), std::string::npos) << out;
  EXPECT_NE(out.find("dirty pages pushed (ring)"), std::string::npos) << out;
}

TEST(StatsView, AVmNewInTheTotalHasZeroSppRate) {
  const auto total = one_vm(stats::SppCounters{.allowed = 7, .denied = 1, .events_dropped = 0});
  const std::string out = render_stats({.source = "kmod", .interval_s = 1, .pid_filter = 0}, total, {});
  EXPECT_NE(out.find(row("SPP writes allowed", 7, 0)), std::string::npos) << out;
}

// The ring-overrun alarm in the live view: a word per vCPU and one line per
// VM; each alarm has its healthy twin, and an unknown size never reads "ok".
stats::DirtyStats ring_vm(std::uint64_t hwm, std::uint64_t size) {
  stats::DirtyStats s;
  s.source = "bpf";
  stats::VmStats& vm = s.vms[4242];
  vm.pid = 4242;
  vm.vcpus[0].ring_pushes = 300;
  vm.vcpus[0].occupancy_hwm = hwm;
  vm.vcpus[0].ring_size = size;
  return s;
}

std::string view(const stats::DirtyStats& s) {
  return render_stats({.source = "bpf (tp_btf)", .interval_s = 1, .pid_filter = 0}, s, s);
}

TEST(StatsViewRingAlarm, HealthyRingSaysOk) {
  const std::string out = view(ring_vm(192, 256));
  EXPECT_NE(out.find("dirty-ring alarm                               ok"), std::string::npos) << out;
  EXPECT_NE(out.find("   192    256  ok\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("LATE"), std::string::npos) << out;
  EXPECT_EQ(out.find("OVERRUN"), std::string::npos) << out;
}

TEST(StatsViewRingAlarm, PastTheSoftLimitSaysLate) {
  const std::string out = view(ring_vm(193, 256));
  EXPECT_NE(out.find("vCPU 0: 193 entries > soft limit 192 of 256: soft-full exit late"), std::string::npos)
      << out;
  EXPECT_NE(out.find("   193    256  LATE\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("OVERRUN"), std::string::npos) << out;
}

TEST(StatsViewRingAlarm, FullRingSaysOverrun) {
  const std::string out = view(ring_vm(256, 256));
  EXPECT_NE(out.find("vCPU 0: 256 of 256 entries: ring full, the next push overwrites"), std::string::npos) << out;
  EXPECT_NE(out.find("   256    256  OVERRUN\n"), std::string::npos) << out;
  // Past the size: the excess was overwritten.
  const std::string past = view(ring_vm(260, 256));
  EXPECT_NE(past.find("vCPU 0: 260 entries > size 256: >= 4 overwritten"), std::string::npos) << past;
}

TEST(StatsViewRingAlarm, UnknownSizeIsSaidNotOk) {
  const std::string out = view(ring_vm(256, 0));
  EXPECT_NE(out.find("ring size unknown to this source: cannot judge hwm 256"), std::string::npos) << out;
  EXPECT_NE(out.find("   256      ?  size?\n"), std::string::npos) << out;
  EXPECT_EQ(out.find(" ok"), std::string::npos) << out;
  // Twin: no ring at all (bitmap logging) prints no alarm line.
  EXPECT_EQ(view(ring_vm(0, 0)).find("dirty-ring alarm"), std::string::npos);
}

}  // namespace
}  // namespace dirtyscope::tools
