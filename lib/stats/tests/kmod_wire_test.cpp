// The kmod source's parser on well-formed messages, built as the module
// builds them (kmod_module_msg.hpp), with and without 64-bit padding.
#include <gtest/gtest.h>
#include <linux/dirtyscope.h>

#include <cstdint>
#include <optional>
#include <string>

#include "dirtyscope/stats/json.hpp"
#include "kmod_module_msg.hpp"

namespace dirtyscope::stats {
namespace {

using namespace kmod_test;

class KmodWire : public ::testing::TestWithParam<bool> {};

TEST_P(KmodWire, GetStatsReplyParses) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS, GetParam());
  get_stats_reply(m);
  const KmodVm vm = parse_kmod_vm(m.hdr(), DIRTYSCOPE_CMD_GET_STATS);
  EXPECT_EQ(vm.id, 5u);
  EXPECT_EQ(vm.pid, 4242u);
  EXPECT_EQ(vm.fd, 9);
  EXPECT_EQ(vm.name, "4242-9");
  EXPECT_EQ(vm.nr_vcpus, 2u);
  ASSERT_EQ(vm.unattributed, std::optional<std::uint64_t>(13));
  ASSERT_EQ(vm.vcpus.size(), 2u);
  EXPECT_EQ(vm.vcpus[0].index, 0u);
  EXPECT_EQ(vm.vcpus[0].id, 0u);
  EXPECT_EQ(vm.vcpus[0].counters, kVcpu0);
  EXPECT_EQ(vm.vcpus[1].index, 1u);
  EXPECT_EQ(vm.vcpus[1].counters.ring_pushes, 7u);
  EXPECT_EQ(vm.totals, (KmodCounters{107, 6, 97, 2, 159, 128, 116, 256, 192}));
}

// Callers without CAP_SYS_ADMIN/CAP_PERFMON get no module-wide count.
TEST_P(KmodWire, GetStatsWithoutUnattributedParses) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS, GetParam());
  m.vm(5, 4242, 9, "4242-9", {{0, kVcpu0}}, true);
  const KmodVm vm = parse_kmod_vm(m.hdr(), DIRTYSCOPE_CMD_GET_STATS);
  EXPECT_FALSE(vm.unattributed.has_value());
  ASSERT_EQ(vm.vcpus.size(), 1u);
  EXPECT_EQ(vm.vcpus[0].counters.ring_pushes, 100u);
}

TEST_P(KmodWire, ListVmsMessageParses) {
  ModuleMsg m(DIRTYSCOPE_CMD_LIST_VMS, GetParam());
  m.vm(2, 77, -1, "77-nofd", {{0, kVcpu1}}, false);
  const KmodVm vm = parse_kmod_vm(m.hdr(), DIRTYSCOPE_CMD_LIST_VMS);
  EXPECT_EQ(vm.id, 2u);
  EXPECT_EQ(vm.fd, -1);
  EXPECT_EQ(vm.name, "77-nofd");
  EXPECT_TRUE(vm.vcpus.empty());
  EXPECT_FALSE(vm.unattributed.has_value());
  EXPECT_EQ(vm.totals.ring_pushes, 7u);
}

TEST_P(KmodWire, EventsParse) {
  ModuleMsg full(DIRTYSCOPE_CMD_EVENT, GetParam());
  full.u32(DIRTYSCOPE_ATTR_EVENT, DIRTYSCOPE_EVENT_RING_FULL);
  full.vm_id(3, 10, 4, "10-4");
  full.u32(DIRTYSCOPE_ATTR_VCPU_INDEX, 1);
  EXPECT_EQ(parse_kmod_event(full.hdr()),
            (KmodEvent{static_cast<std::uint32_t>(KmodEventKind::RingFull), 3, 10, 4, "10-4", 1, 0}));

  ModuleMsg reset(DIRTYSCOPE_CMD_EVENT, GetParam());
  reset.u32(DIRTYSCOPE_ATTR_EVENT, DIRTYSCOPE_EVENT_RING_RESET);
  reset.vm_id(3, 10, 4, "10-4");
  reset.u32(DIRTYSCOPE_ATTR_VCPU_INDEX, 0);
  reset.u64(DIRTYSCOPE_ATTR_RESET_ENTRIES, 64, DIRTYSCOPE_ATTR_PAD);
  EXPECT_EQ(parse_kmod_event(reset.hdr()).reset_entries, 64u);
}

INSTANTIATE_TEST_SUITE_P(Padding, KmodWire, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Pad64" : "X86"; });

TEST(KmodWire, UnknownNewerAttributesAreSkipped) {
  // The uapi appends attributes; a v1 client must ignore what it does not know.
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  get_stats_reply(m);
  const std::uint64_t future = 1;
  m.raw(DIRTYSCOPE_ATTR_MAX + 5, &future, sizeof(future));
  EXPECT_EQ(parse_kmod_vm(m.hdr(), DIRTYSCOPE_CMD_GET_STATS).id, 5u);
}

// What the uapi appended: SPP totals in the STATS nest (the SPP hooks), a
// VM's reset generation and drops (later still); each without the other.
TEST_P(KmodWire, AppendedVmAttributesParse) {
  for (bool spp : {true, false})
    for (std::uint8_t cmd : {DIRTYSCOPE_CMD_GET_STATS, DIRTYSCOPE_CMD_LIST_VMS}) {
      ModuleMsg m(cmd, GetParam());
      if (spp) {
        m.spp = kSpp;
      } else {
        m.reset_gen = 7;
        m.drops = kVmDrops;
      }
      m.vm(5, 4242, 9, "4242-9", {{0, kVcpu0}}, cmd == DIRTYSCOPE_CMD_GET_STATS);
      if (cmd == DIRTYSCOPE_CMD_GET_STATS) m.u64(DIRTYSCOPE_ATTR_UNATTRIBUTED, 0, DIRTYSCOPE_ATTR_PAD);
      const KmodVm vm = parse_kmod_vm(m.hdr(), cmd);
      EXPECT_EQ(vm.spp, spp ? std::optional<SppCounters>(kSpp) : std::nullopt) << int(cmd);
      EXPECT_EQ(vm.reset_gen, spp ? std::nullopt : std::optional<std::uint64_t>(7)) << int(cmd);
      EXPECT_EQ(vm.drops, spp ? std::nullopt : std::optional<DropCounters>(kVmDrops)) << int(cmd);
      EXPECT_EQ(vm.totals.ring_pushes, 100u) << "the counters are unaffected";
    }
}

TEST_P(KmodWire, ModuleReplyParses) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_MODULE, GetParam());
  m.module_reply(3, kModuleDrops, 11);
  EXPECT_EQ(parse_kmod_module(m.hdr()), (KmodModule{.reset_gen = 3, .drops = kModuleDrops, .unattributed = 11}));
}

// The twin: a module from before them sends none of them; nothing is made up.
TEST(KmodWire, AnOlderModuleHasNoSppCountsGenerationOrDrops) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  get_stats_reply(m);
  const KmodVm vm = parse_kmod_vm(m.hdr(), DIRTYSCOPE_CMD_GET_STATS);
  EXPECT_FALSE(vm.spp.has_value());
  EXPECT_FALSE(vm.reset_gen.has_value());
  EXPECT_FALSE(vm.drops.has_value());
  EXPECT_FALSE(kmod_to_dirty_stats({vm}).vms.at(4242).spp.has_value());
  const std::string json = to_json(kmod_to_dirty_stats({vm}));
  EXPECT_EQ(json.find("spp_"), std::string::npos);
  EXPECT_EQ(json.find("drop_"), std::string::npos);
}

}  // namespace
}  // namespace dirtyscope::stats
