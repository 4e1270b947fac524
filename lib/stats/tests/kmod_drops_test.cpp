// Drops and reset generations: parsed from replies built as the module
// builds them, and used by a reader (kmod_snapshot) to say when its
// counts are not exact, with a negative twin for each.
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

TEST(KmodDropsMalformed, ModuleReplyNeedsEveryReason) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_MODULE);
  m.u64(DIRTYSCOPE_ATTR_RESET_GEN, 1, DIRTYSCOPE_ATTR_PAD);
  m.drops_nest(kModuleDrops, false);  // a VM's reasons only
  m.u64(DIRTYSCOPE_ATTR_UNATTRIBUTED, 0, DIRTYSCOPE_ATTR_PAD);
  EXPECT_EQ(rejection([&] { return parse_kmod_module(m.hdr()); }),
            "dirtyscope.ko GET_MODULE message, DROPS: missing attribute DROP_VM_ALLOC");
}

TEST(KmodDropsMalformed, ModuleWideReasonsInAVmNestAreRejected) {
  EXPECT_EQ(list_vms_error([](ModuleMsg&) {},
                           [](ModuleMsg& m) {
                             m.u64(DIRTYSCOPE_ATTR_RESET_GEN, 1, DIRTYSCOPE_ATTR_PAD);
                             m.drops_nest(kModuleDrops, true);
                           }),
            "dirtyscope.ko LIST_VMS message, DROPS: module-wide drop reasons in a VM's DROPS nest");
}

TEST(KmodDropsMalformed, DropsWithoutAGenerationAreRejected) {
  EXPECT_EQ(list_vms_error([](ModuleMsg&) {}, [](ModuleMsg& m) { m.drops_nest(kVmDrops, false); }),
            "dirtyscope.ko LIST_VMS message: DROPS without RESET_GEN");
}

// --- A reader over two snapshots, from replies parsed as received.

KmodVm reply(std::optional<std::uint64_t> gen, std::uint64_t pushes, std::uint64_t dropped = 0) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  m.reset_gen = gen;
  m.drops.events = dropped;
  KmodCounters c = kVcpu0;
  c.ring_pushes = pushes;
  m.vm(5, 4242, 9, "4242-9", {{0, c}}, true);
  return parse_kmod_vm(m.hdr(), DIRTYSCOPE_CMD_GET_STATS);
}

std::uint64_t pushes(const DirtyStats& s) { return s.totals().ring_pushes; }

TEST(KmodReader, AGenerationChangeRebaselinesAndSaysResetByAnotherReader) {
  KmodBaseline base;
  base.vms.emplace(5, reply(0, 100));
  // Reset by someone else, then more pushes than before the reset: the
  // counter never went backwards, only the generation tells.
  const DirtyStats s1 = kmod_snapshot({reply(1, 150)}, std::nullopt, base);
  EXPECT_EQ(pushes(s1), 150u) << "counted since the reset";
  ASSERT_EQ(s1.inexact.size(), 1u);
  EXPECT_EQ(s1.inexact[0], "VM 4242-9: reset by another reader (generation 0 -> 1), counted since that reset");
  // Rebaselined at zero in generation 1: the next snapshot goes on from there.
  const DirtyStats s2 = kmod_snapshot({reply(1, 170)}, std::nullopt, base);
  EXPECT_EQ(pushes(s2), 170u);
  EXPECT_EQ(s2.inexact, s1.inexact) << "noted once";
  EXPECT_TRUE(delta(s2, s1).inexact.empty()) << "no new reset between the two";
  EXPECT_EQ(pushes(delta(s2, s1)), 20u);
}

TEST(KmodReader, SameGenerationIsAPlainDifference) {
  KmodBaseline base;
  base.vms.emplace(5, reply(4, 100));
  const DirtyStats s = kmod_snapshot({reply(4, 150)}, std::nullopt, base);
  EXPECT_EQ(pushes(s), 50u);
  EXPECT_TRUE(s.inexact.empty());
}

TEST(KmodReader, CountersGoingBackwardsAreStillDetectedWithoutAGenerationChange) {
  for (std::optional<std::uint64_t> gen : {std::optional<std::uint64_t>(4), std::optional<std::uint64_t>()}) {
    KmodBaseline base;
    base.vms.emplace(5, reply(gen, 100));
    const DirtyStats s = kmod_snapshot({reply(gen, 30)}, std::nullopt, base);
    EXPECT_EQ(pushes(s), 30u) << "from zero";
    ASSERT_EQ(s.inexact.size(), 1u);
    EXPECT_EQ(s.inexact[0], "VM 4242-9: counters went backwards (reset by another reader), counted since that reset");
  }
}

TEST(KmodReader, VmDropsAreCountedOverTheWindow) {
  KmodBaseline base;
  base.vms.emplace(5, reply(0, 100, 2));
  const DirtyStats s = kmod_snapshot({reply(0, 150, 5)}, std::nullopt, base);
  ASSERT_TRUE(s.vms.at(4242).drops.has_value());
  EXPECT_EQ(s.vms.at(4242).drops->events, 3u);
}

TEST(KmodReader, ModuleWideDropsAndTheirGeneration) {
  KmodBaseline base;
  base.module = KmodModule{.reset_gen = 2, .drops = {.events = 5}, .unattributed = 0};
  const DirtyStats same = kmod_snapshot({}, KmodModule{.reset_gen = 2, .drops = {.events = 9}, .unattributed = 0}, base);
  ASSERT_TRUE(same.drops.has_value());
  EXPECT_EQ(same.drops->events, 4u);
  EXPECT_TRUE(same.inexact.empty());
  const DirtyStats moved = kmod_snapshot({}, KmodModule{.reset_gen = 3, .drops = {.events = 1}, .unattributed = 0}, base);
  EXPECT_EQ(moved.drops->events, 1u) << "since the reset";
  ASSERT_EQ(moved.inexact.size(), 1u);
  EXPECT_EQ(moved.inexact[0], "module-wide counters reset by another reader (generation 2 -> 3), counted since that reset");
  // A reader that may not read module-wide data claims nothing about it.
  KmodBaseline unprivileged;
  EXPECT_FALSE(kmod_snapshot({}, std::nullopt, unprivileged).drops.has_value());
}

TEST(KmodReader, JsonNamesDropsAndReasons) {
  KmodBaseline base;
  base.vms.emplace(5, reply(0, 100));
  base.module = KmodModule{};
  const std::string json =
      to_json(kmod_snapshot({reply(1, 150, 2)}, KmodModule{.reset_gen = 0, .drops = {.events = 2}, .unattributed = 0}, base));
  EXPECT_NE(json.find(R"("kmod.drop_events":2)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("kmod.drop_vm_table_full":0)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("kmod.inexact":["VM 4242-9: reset by another reader)"), std::string::npos) << json;
  KmodBaseline plain;
  plain.vms.emplace(5, reply(0, 100));
  EXPECT_EQ(to_json(kmod_snapshot({reply(0, 150)}, std::nullopt, plain)).find("kmod.inexact"), std::string::npos);
}

}  // namespace
}  // namespace dirtyscope::stats
