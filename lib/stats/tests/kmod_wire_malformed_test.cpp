// Malformed messages: rejected with a message naming the problem, never a
// crash (run under ASan/UBSan with SANITIZE=ON).
#include <gtest/gtest.h>
#include <linux/dirtyscope.h>
#include <netlink/attr.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kmod_module_msg.hpp"

namespace dirtyscope::stats {
namespace {

using namespace kmod_test;

// --- Malformed messages: rejected, with the reason in the message.

TEST(KmodWireMalformed, ShortU64IsRejectedNamingTheAttribute) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  const std::uint32_t short_id = 5;
  m.raw(DIRTYSCOPE_ATTR_VM_ID, &short_id, sizeof(short_id));  // u32 where a u64 belongs
  m.u32(DIRTYSCOPE_ATTR_VM_PID, 1);
  EXPECT_EQ(error_of(m.hdr()),
            "dirtyscope.ko GET_STATS message: attribute VM_ID has 4 bytes of payload, want 8");
}

TEST(KmodWireMalformed, TruncatedMessageIsRejected) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  get_stats_reply(m);
  m.hdr()->nlmsg_len -= 6;  // cut the last attribute (UNATTRIBUTED) short
  const std::string e = error_of(m.hdr());
  EXPECT_NE(e.find("malformed attribute"), std::string::npos) << e;
  EXPECT_NE(e.find("are not a whole attribute"), std::string::npos) << e;
}

TEST(KmodWireMalformed, AttributeLongerThanItsNestIsRejected) {
  ModuleMsg m(DIRTYSCOPE_CMD_LIST_VMS);
  m.vm(5, 1, 3, "1-3", {{0, kVcpu0}}, false);
  // The STATS nest's first counter claims to run past the nest's end.
  auto* stats = static_cast<nlattr*>(
      nla_find(genlmsg_attrdata(static_cast<genlmsghdr*>(nlmsg_data(m.hdr())), 0),
               genlmsg_attrlen(static_cast<genlmsghdr*>(nlmsg_data(m.hdr())), 0), DIRTYSCOPE_ATTR_STATS));
  ASSERT_NE(stats, nullptr);
  auto* first = static_cast<nlattr*>(nla_data(stats));
  first->nla_len = static_cast<std::uint16_t>(nla_len(stats) + 8);
  const std::string e = error_of(m.hdr(), DIRTYSCOPE_CMD_LIST_VMS);
  EXPECT_NE(e.find("STATS: malformed attribute"), std::string::npos) << e;
  EXPECT_NE(e.find("claims"), std::string::npos) << e;
}

TEST(KmodWireMalformed, AttributeShorterThanItsHeaderIsRejected) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  get_stats_reply(m);
  auto* first = static_cast<nlattr*>(genlmsg_attrdata(static_cast<genlmsghdr*>(nlmsg_data(m.hdr())), 0));
  first->nla_len = 2;  // less than an attribute header
  EXPECT_NE(error_of(m.hdr()).find("malformed attribute"), std::string::npos);
}

TEST(KmodWireMalformed, MissingAttributesAreNamed) {
  ModuleMsg no_stats(DIRTYSCOPE_CMD_LIST_VMS);
  no_stats.vm_id(5, 1, 3, "1-3");
  no_stats.u32(DIRTYSCOPE_ATTR_NR_VCPUS, 0);
  EXPECT_EQ(error_of(no_stats.hdr(), DIRTYSCOPE_CMD_LIST_VMS),
            "dirtyscope.ko LIST_VMS message: missing attribute STATS");

  ModuleMsg reset(DIRTYSCOPE_CMD_EVENT);
  reset.u32(DIRTYSCOPE_ATTR_EVENT, DIRTYSCOPE_EVENT_RING_RESET);
  reset.vm_id(3, 10, 4, "10-4");
  reset.u32(DIRTYSCOPE_ATTR_VCPU_INDEX, 0);
  EXPECT_EQ(rejection([&] { return parse_kmod_event(reset.hdr()); }),
            "dirtyscope.ko EVENT message: missing attribute RESET_ENTRIES");
}

TEST(KmodWireMalformed, StringWithoutNulIsRejected) {
  ModuleMsg m(DIRTYSCOPE_CMD_LIST_VMS);
  m.u64(DIRTYSCOPE_ATTR_VM_ID, 5, DIRTYSCOPE_ATTR_PAD);
  m.u32(DIRTYSCOPE_ATTR_VM_PID, 1);
  m.s32(DIRTYSCOPE_ATTR_VM_FD, 3);
  m.raw(DIRTYSCOPE_ATTR_VM_NAME, "1-3", 3);
  EXPECT_EQ(error_of(m.hdr(), DIRTYSCOPE_CMD_LIST_VMS),
            "dirtyscope.ko LIST_VMS message: attribute VM_NAME (3 bytes) is not a NUL-terminated string");
}

TEST(KmodWireMalformed, HeaderProblemsAreRejected) {
  ModuleMsg wrong_cmd(DIRTYSCOPE_CMD_LIST_VMS);
  get_stats_reply(wrong_cmd);
  EXPECT_NE(error_of(wrong_cmd.hdr()).find("reply carries command 1 (LIST_VMS), want 2"), std::string::npos);

  ModuleMsg v2(DIRTYSCOPE_CMD_GET_STATS, false, DIRTYSCOPE_GENL_VERSION + 1);
  get_stats_reply(v2);
  EXPECT_NE(error_of(v2.hdr()).find("family version 2, this client speaks 1"), std::string::npos);

  ModuleMsg tiny(DIRTYSCOPE_CMD_GET_STATS);
  tiny.hdr()->nlmsg_len = NLMSG_HDRLEN + 2;
  EXPECT_NE(error_of(tiny.hdr()).find("too short for the netlink and genetlink headers"), std::string::npos);

  EXPECT_THROW((void)parse_kmod_vm(nullptr, DIRTYSCOPE_CMD_GET_STATS), KmodProtocolError);
}

TEST(KmodWireMalformed, DuplicatesAndZeroIdAreRejected) {
  ModuleMsg twice(DIRTYSCOPE_CMD_GET_STATS);
  get_stats_reply(twice);
  twice.u32(DIRTYSCOPE_ATTR_NR_VCPUS, 3);
  EXPECT_EQ(error_of(twice.hdr()), "dirtyscope.ko GET_STATS message: attribute NR_VCPUS appears twice");

  ModuleMsg zero(DIRTYSCOPE_CMD_LIST_VMS);
  zero.vm(0, 1, 3, "1-3", {}, false);
  EXPECT_EQ(error_of(zero.hdr(), DIRTYSCOPE_CMD_LIST_VMS),
            "dirtyscope.ko LIST_VMS message: VM_ID 0 (ids start at 1)");
}

// Every truncation and many random corruptions of a valid reply: each is
// parsed or rejected with KmodProtocolError, never a crash or another
// exception (ASan/UBSan builds check the "never crash" part). nlmsg_len is
// left alone: libnl has already checked it against the datagram.
TEST(KmodWireMalformed, TruncationsAndCorruptionsNeverCrash) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS, true);
  get_stats_reply(m);
  const std::uint32_t full = m.hdr()->nlmsg_len;
  std::vector<unsigned char> original(reinterpret_cast<unsigned char*>(m.hdr()),
                                      reinterpret_cast<unsigned char*>(m.hdr()) + full);
  int rejected = 0;
  std::optional<KmodVm> parsed;
  auto attempt = [&](const std::vector<unsigned char>& bytes) {
    // A fresh heap copy of exactly nlmsg_len bytes, so ASan sees any read past it.
    auto copy = std::make_unique<unsigned char[]>(bytes.size());
    std::memcpy(copy.get(), bytes.data(), bytes.size());
    parsed.reset();
    try {
      parsed = parse_kmod_vm(reinterpret_cast<nlmsghdr*>(copy.get()), DIRTYSCOPE_CMD_GET_STATS);
    } catch (const KmodProtocolError&) {
      ++rejected;
    }
  };
  // UNATTRIBUTED, the last attribute, is optional (only privileged callers
  // get it) and vCPU nests repeat, so a cut exactly at an attribute
  // boundary after the STATS nest is a well-formed reply with fewer vCPUs
  // and no UNATTRIBUTED. It must parse as exactly that; every other cut
  // must be rejected. (The kernel never truncates a datagram silently.)
  const KmodVm whole = parse_kmod_vm(m.hdr(), DIRTYSCOPE_CMD_GET_STATS);
  int accepted = 0;
  for (std::uint32_t len = NLMSG_HDRLEN; len < full; ++len) {
    std::vector<unsigned char> cut(original.begin(), original.begin() + len);
    reinterpret_cast<nlmsghdr*>(cut.data())->nlmsg_len = len;
    attempt(cut);
    if (!parsed) continue;
    ++accepted;
    KmodVm expect = whole;
    expect.unattributed.reset();
    expect.vcpus.resize(std::min(parsed->vcpus.size(), whole.vcpus.size()));
    EXPECT_EQ(*parsed, expect) << "a reply cut at " << len << " of " << full << " bytes parsed as something else";
  }
  // After STATS, after each vCPU nest, and after UNATTRIBUTED's pad.
  EXPECT_LE(accepted, static_cast<int>(whole.vcpus.size()) + 2) << "a cut inside an attribute was accepted";
  EXPECT_EQ(rejected + accepted, static_cast<int>(full - NLMSG_HDRLEN));

  std::mt19937 rng(1);
  std::uniform_int_distribution<std::size_t> pos(sizeof(std::uint32_t), full - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 5000; ++i) {
    std::vector<unsigned char> bent = original;
    for (int k = 0; k < 3; ++k) bent[pos(rng)] = static_cast<unsigned char>(byte(rng));
    attempt(bent);
  }
}

// One VCPU nest of a GET_STATS reply, or the STATS nest of a LIST_VMS
// message, with one thing wrong in it: the error names it.
TEST(KmodWireMalformed, NestProblemsAreNamed) {
  const std::string vcpu = "dirtyscope.ko GET_STATS message, VCPU #0: ";
  const std::string stats = "dirtyscope.ko LIST_VMS message, STATS: ";
  const std::pair<std::string, std::string> cases[] = {
      // The module sends u64.
      {vcpu_nest_error([](ModuleMsg& m) { m.u32(DIRTYSCOPE_STAT_RING_PUSHES, 100); }),
       vcpu + "attribute STAT_RING_PUSHES has 4 bytes of payload, want 8"},
      {vcpu_nest_error([](ModuleMsg&) {}), vcpu + "missing attribute STAT_RING_PUSHES"},
      {vcpu_nest_error([](ModuleMsg& m) { m.counters(kVcpu0); }, 2),
       "dirtyscope.ko GET_STATS message: vCPU index 0 reported twice"},
      {vcpu_nest_error([](ModuleMsg& m) {
         m.counters(kVcpu0);
         m.u64(DIRTYSCOPE_STAT_SPP_DENIED, 1, DIRTYSCOPE_STAT_PAD);
       }),
       vcpu + "SPP counters in a VCPU nest (VM totals only)"},
      // SPP counters come all three or none.
      {list_vms_error([](ModuleMsg& m) {
         m.u64(DIRTYSCOPE_STAT_SPP_ALLOWED, 1, DIRTYSCOPE_STAT_PAD);
         m.u64(DIRTYSCOPE_STAT_SPP_DENIED, 2, DIRTYSCOPE_STAT_PAD);
       }),
       stats + "missing attribute STAT_SPP_EVENTS_DROPPED"},
      {list_vms_error([](ModuleMsg& m) { m.u64(DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED, 1, DIRTYSCOPE_STAT_PAD); }),
       stats + "missing attribute STAT_SPP_ALLOWED"},
      {list_vms_error([](ModuleMsg&) {}), "(accepted)"},
      {list_vms_error([](ModuleMsg& m) {
         m.u64(DIRTYSCOPE_STAT_SPP_ALLOWED, 1, DIRTYSCOPE_STAT_PAD);
         m.u32(DIRTYSCOPE_STAT_SPP_DENIED, 2);
         m.u64(DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED, 0, DIRTYSCOPE_STAT_PAD);
       }),
       stats + "attribute STAT_SPP_DENIED has 4 bytes of payload, want 8"},
  };
  for (const auto& [got, want] : cases) EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace dirtyscope::stats
