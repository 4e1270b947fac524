// The kmod source's counter arithmetic: windows over the module's
// cumulative counters (kmod_since) and the DirtyStats form.
#include <gtest/gtest.h>
#include <linux/dirtyscope.h>

#include <cstdint>
#include <string>

#include "dirtyscope/stats/json.hpp"
#include "kmod_module_msg.hpp"

namespace dirtyscope::stats {
namespace {

using namespace kmod_test;

// --- Mapping onto DirtyStats.

TEST(KmodToDirtyStats, MapsEachCounterAndLeavesTheRestZero) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  get_stats_reply(m, 5, 4242, 9, "4242-9");
  const DirtyStats s = kmod_to_dirty_stats({parse_kmod_vm(m.hdr(), DIRTYSCOPE_CMD_GET_STATS)});
  EXPECT_EQ(s.source, "kmod");
  ASSERT_EQ(s.vms.size(), 1u);
  const VmStats& vm = s.vms.at(4242);
  EXPECT_EQ(vm.pid, 4242);
  ASSERT_EQ(vm.vcpus.size(), 2u);
  const VcpuCounters& c = vm.vcpus.at(0);
  EXPECT_EQ(c.ring_pushes, 100u);
  EXPECT_EQ(c.ring_resets, 3u);
  EXPECT_EQ(c.ring_full_exits, 2u);
  EXPECT_EQ(c.page_faults, 150u);
  EXPECT_EQ(c.set_spte, 110u) << "set_spte is writable SPTEs, as in the BPF source";
  EXPECT_EQ(c.occupancy_hwm, 192u);
  EXPECT_EQ(c.fast_page_faults, 0u) << "the module has no fast_page_fault probe";
  EXPECT_EQ(s.ioctl_count(), 0u) << "the module does not time ioctls";
  EXPECT_EQ(s.totals().ring_pushes, 107u);
  EXPECT_EQ(s.totals().occupancy_hwm, 192u);
  const std::string json = to_json(s);
  EXPECT_NE(json.find("\"kmod.ring_pushes\":107"), std::string::npos) << json;
  EXPECT_NE(json.find("\"kmod.ring_full_exits\":2"), std::string::npos) << json;
}

TEST(KmodToDirtyStats, SeveralVmsOfOneProcessAreSummed) {
  const KmodCounters a{.ring_pushes = 10, .ring_resets = 1, .ring_full_exits = 1, .ring_high_water = 8};
  const KmodCounters b{.ring_pushes = 5, .ring_resets = 2, .ring_high_water = 30};
  const std::vector<KmodVm> vms = {
      vm_of(1, 100, {{0, 0, a}, {1, 1, b}}),
      vm_of(2, 100, {{0, 0, b}}),     // same process, another VM
      vm_of(3, 101, {{0, 0, a}}),     // a thread of process 100
      vm_of(4, 200, {{0, 7, a}}),     // another process
  };
  const DirtyStats s = kmod_to_dirty_stats(vms, [](std::uint32_t tid) {
    return static_cast<pid_t>(tid == 101 ? 100 : tid);
  });
  ASSERT_EQ(s.vms.size(), 2u);
  const VmStats& p = s.vms.at(100);
  EXPECT_EQ(p.vcpus.at(0).ring_pushes, 25u);      // 10 + 5 + 10
  EXPECT_EQ(p.vcpus.at(0).ring_resets, 4u);
  EXPECT_EQ(p.vcpus.at(0).occupancy_hwm, 30u);    // a max, not a sum
  EXPECT_EQ(p.vcpus.at(1).ring_pushes, 5u);
  EXPECT_EQ(s.vms.at(200).vcpus.count(7), 1u);    // keyed by vcpu_id, not index
}

TEST(KmodToDirtyStats, ListVmsTotalsWithoutVcpusAreKept) {
  KmodVm vm = vm_of(1, 100, {});
  vm.totals.ring_pushes = 42;
  const DirtyStats s = kmod_to_dirty_stats({vm});
  EXPECT_EQ(s.vms.at(100).vcpus.at(kUnknownVcpu).ring_pushes, 42u);
}

TEST(KmodSince, SubtractsPerVcpuAndKeepsHighWater) {
  const KmodVm base = vm_of(1, 100, {{0, 0, {.ring_pushes = 10, .ring_resets = 2, .ring_high_water = 50}}});
  KmodVm now = vm_of(1, 100, {{0, 0, {.ring_pushes = 25, .ring_resets = 3, .ring_high_water = 60}},
                               {1, 1, {.ring_pushes = 4, .ring_high_water = 4}}});
  now.unattributed = 9;
  KmodVm b = base;
  b.unattributed = 4;
  const KmodVm d = kmod_since(now, b);
  EXPECT_EQ(d.vcpus[0].counters.ring_pushes, 15u);
  EXPECT_EQ(d.vcpus[0].counters.ring_resets, 1u);
  EXPECT_EQ(d.vcpus[0].counters.ring_high_water, 60u);
  EXPECT_EQ(d.vcpus[1].counters.ring_pushes, 4u) << "a new vCPU counts from zero";
  EXPECT_EQ(d.totals.ring_pushes, 19u);
  EXPECT_EQ(d.unattributed, std::optional<std::uint64_t>(5));
}

TEST(KmodSince, CountersThatWentBackwardsWereResetAndCountFromZero) {
  const KmodVm base = vm_of(1, 100, {{0, 0, {.ring_pushes = 10, .ring_resets = 2}}});
  const KmodVm now = vm_of(1, 100, {{0, 0, {.ring_pushes = 3, .ring_resets = 5}}});
  const KmodVm d = kmod_since(now, base);
  EXPECT_EQ(d.vcpus[0].counters.ring_pushes, 3u);
  EXPECT_EQ(d.vcpus[0].counters.ring_resets, 5u);
}

TEST(KmodSince, SubtractsSppTotalsAndRestartsThemAfterAReset) {
  KmodVm base = vm_of(1, 100, {{0, 0, {}}});
  KmodVm now = base;
  base.spp = SppCounters{.allowed = 10, .denied = 4, .events_dropped = 1};
  now.spp = SppCounters{.allowed = 25, .denied = 9, .events_dropped = 1};
  EXPECT_EQ(kmod_since(now, base).spp, (SppCounters{.allowed = 15, .denied = 5, .events_dropped = 0}));
  now.spp->denied = 2;  // went backwards: reset in between, counts from zero
  EXPECT_EQ(kmod_since(now, base).spp, now.spp);
  base.spp.reset();  // the VM had no SPP counts at the baseline
  now.spp->denied = 9;
  EXPECT_EQ(kmod_since(now, base).spp, now.spp);
}

TEST(KmodToDirtyStats, SppTotalsOfAProcesssVmsAreSummed) {
  KmodVm a = vm_of(1, 100, {{0, 0, {}}});
  KmodVm b = vm_of(2, 101, {{0, 0, {}}});  // a thread of process 100
  KmodVm c = vm_of(3, 200, {{0, 0, {}}});  // no SPP counts (older module)
  a.spp = SppCounters{.allowed = 1, .denied = 2, .events_dropped = 3};
  b.spp = SppCounters{.allowed = 10, .denied = 20, .events_dropped = 30};
  const DirtyStats s = kmod_to_dirty_stats({a, b, c}, [](std::uint32_t tid) {
    return static_cast<pid_t>(tid == 101 ? 100 : tid);
  });
  EXPECT_EQ(s.vms.at(100).spp, (SppCounters{.allowed = 11, .denied = 22, .events_dropped = 33}));
  EXPECT_FALSE(s.vms.at(200).spp.has_value());
  const std::string json = to_json(s);
  EXPECT_NE(json.find(R"("kmod.spp_allowed":11,"kmod.spp_denied":22,"kmod.spp_events_dropped":33)"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace dirtyscope::stats
