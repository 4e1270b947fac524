// The kmod source's parser against netlink messages built in memory with
// libnl exactly as dirtyscope.ko's netlink.c builds them (ds_put_vm,
// ds_put_counters, ds_netlink_event), plus malformed variants that must be
// rejected with a message naming the problem, never crash (run under
// ASan/UBSan with SANITIZE=ON).
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/dirtyscope.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "dirtyscope/stats/json.hpp"
#include "dirtyscope/stats/kmod_stats_source.hpp"
#include "spp_sources.hpp"

namespace dirtyscope::stats {
namespace {

constexpr int kFamilyId = 0x1c;  // any id: the parser does not look at it

struct Counters {
  std::uint64_t pushes = 0, resets = 0, reset_entries = 0, full = 0, faults = 0, spte = 0,
                spte_w = 0;
  std::uint32_t ring_size = 0, hwm = 0;
};

// Builds one message the way the module does. `pad64` emulates
// nla_put_u64_64bit() on an architecture without efficient unaligned
// access: a zero-length *_PAD attribute before a u64 whose payload would
// not be 8-byte aligned. x86 never pads, but the client must accept both.
class ModuleMsg {
 public:
  ModuleMsg(std::uint8_t cmd, bool pad64 = false, std::uint8_t version = DIRTYSCOPE_GENL_VERSION)
      : m_(nlmsg_alloc()), pad64_(pad64) {
    if (!m_) throw std::bad_alloc();
    if (!genlmsg_put(m_.get(), 1234, 7, kFamilyId, 0, 0, cmd, version)) throw std::runtime_error("genlmsg_put");
  }
  nl_msg* get() { return m_.get(); }
  nlmsghdr* hdr() { return nlmsg_hdr(m_.get()); }

  void u64(int type, std::uint64_t v, int pad_type) {
    if (pad64_) {
      const auto tail = reinterpret_cast<std::uintptr_t>(nlmsg_tail(hdr())) -
                        reinterpret_cast<std::uintptr_t>(hdr());
      if ((tail + NLA_HDRLEN) % 8 != 0) ok(nla_put(m_.get(), pad_type, 0, nullptr));
    }
    ok(nla_put_u64(m_.get(), type, v));
  }
  void u32(int type, std::uint32_t v) { ok(nla_put_u32(m_.get(), type, v)); }
  void s32(int type, std::int32_t v) { ok(nla_put_s32(m_.get(), type, v)); }
  void str(int type, const char* s) { ok(nla_put_string(m_.get(), type, s)); }
  void raw(int type, const void* p, int len) { ok(nla_put(m_.get(), type, len, p)); }
  nlattr* nest_start(int type) {
    nlattr* n = nla_nest_start(m_.get(), type);
    if (!n) throw std::runtime_error("nla_nest_start");
    return n;
  }
  void nest_end(nlattr* n) { ok(nla_nest_end(m_.get(), n)); }

  // The VM's SPP totals, as a module with the SPP hooks sends them; unset
  // emulates a module from before them.
  std::optional<SppCounters> spp;

  // ds_put_vm_id()
  void vm_id(std::uint64_t id, std::uint32_t pid, std::int32_t fd, const char* name) {
    u64(DIRTYSCOPE_ATTR_VM_ID, id, DIRTYSCOPE_ATTR_PAD);
    u32(DIRTYSCOPE_ATTR_VM_PID, pid);
    s32(DIRTYSCOPE_ATTR_VM_FD, fd);
    str(DIRTYSCOPE_ATTR_VM_NAME, name);
  }
  // ds_put_counters(): same order, u32 for ring size and high water.
  void counters(const Counters& c) {
    u64(DIRTYSCOPE_STAT_RING_PUSHES, c.pushes, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_RING_RESETS, c.resets, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_RING_RESET_ENTRIES, c.reset_entries, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_RING_FULL_EXITS, c.full, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_PAGE_FAULTS, c.faults, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_SET_SPTE, c.spte, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_SET_SPTE_WRITABLE, c.spte_w, DIRTYSCOPE_STAT_PAD);
    u32(DIRTYSCOPE_STAT_RING_SIZE, c.ring_size);
    u32(DIRTYSCOPE_STAT_RING_HIGH_WATER, c.hwm);
  }
  // ds_put_vm(): identity, NR_VCPUS, STATS nest (totals), VCPU nests.
  void vm(std::uint64_t id, std::uint32_t pid, std::int32_t fd, const char* name,
          const std::vector<std::pair<std::uint32_t, Counters>>& vcpus, bool per_vcpu) {
    vm_id(id, pid, fd, name);
    u32(DIRTYSCOPE_ATTR_NR_VCPUS, static_cast<std::uint32_t>(vcpus.size()));
    Counters sum;
    for (const auto& [vid, c] : vcpus) {
      sum.pushes += c.pushes, sum.resets += c.resets, sum.reset_entries += c.reset_entries;
      sum.full += c.full, sum.faults += c.faults, sum.spte += c.spte, sum.spte_w += c.spte_w;
      sum.ring_size = std::max(sum.ring_size, c.ring_size);
      sum.hwm = std::max(sum.hwm, c.hwm);
    }
    nlattr* n = nest_start(DIRTYSCOPE_ATTR_STATS);
    counters(sum);
    // ds_put_vm() puts the VM's SPP counters after the summed ones.
    if (spp) {
      u64(DIRTYSCOPE_STAT_SPP_ALLOWED, spp->allowed, DIRTYSCOPE_STAT_PAD);
      u64(DIRTYSCOPE_STAT_SPP_DENIED, spp->denied, DIRTYSCOPE_STAT_PAD);
      u64(DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED, spp->events_dropped, DIRTYSCOPE_STAT_PAD);
    }
    nest_end(n);
    if (!per_vcpu) return;
    std::uint32_t index = 0;
    for (const auto& [vid, c] : vcpus) {
      nlattr* v = nest_start(DIRTYSCOPE_ATTR_VCPU);
      u32(DIRTYSCOPE_STAT_VCPU_INDEX, index++);
      u32(DIRTYSCOPE_STAT_VCPU_ID, vid);
      counters(c);
      nest_end(v);
    }
  }

 private:
  static void ok(int rc) {
    if (rc < 0) throw std::runtime_error("nla_put failed");
  }
  struct Free {
    void operator()(nl_msg* m) const { nlmsg_free(m); }
  };
  std::unique_ptr<nl_msg, Free> m_;
  bool pad64_;
};

const Counters kVcpu0{.pushes = 100, .resets = 3, .reset_entries = 90, .full = 2, .faults = 150,
                      .spte = 120, .spte_w = 110, .ring_size = 256, .hwm = 192};
const Counters kVcpu1{.pushes = 7, .resets = 3, .reset_entries = 7, .full = 0, .faults = 9,
                      .spte = 8, .spte_w = 6, .ring_size = 256, .hwm = 7};

// A GET_STATS reply as ds_nl_get_stats() sends it.
void get_stats_reply(ModuleMsg& m, std::uint64_t id = 5, std::uint32_t pid = 4242, std::int32_t fd = 9,
                     const char* name = "4242-9") {
  m.vm(id, pid, fd, name, {{0, kVcpu0}, {1, kVcpu1}}, true);
  m.u64(DIRTYSCOPE_ATTR_UNATTRIBUTED, 13, DIRTYSCOPE_ATTR_PAD);
}

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
  EXPECT_EQ(vm.vcpus[0].counters,
            (KmodCounters{100, 3, 90, 2, 150, 120, 110, 256, 192}));
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

// --- Malformed messages: rejected, with the reason in the message.

std::string error_of(nlmsghdr* h, std::uint8_t cmd = DIRTYSCOPE_CMD_GET_STATS) {
  try {
    (void)parse_kmod_vm(h, cmd);
  } catch (const KmodProtocolError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(KmodWireMalformed, ShortU64IsRejectedNamingTheAttribute) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  const std::uint32_t short_id = 5;
  m.raw(DIRTYSCOPE_ATTR_VM_ID, &short_id, sizeof(short_id));  // u32 where a u64 belongs
  m.u32(DIRTYSCOPE_ATTR_VM_PID, 1);
  EXPECT_EQ(error_of(m.hdr()),
            "dirtyscope.ko GET_STATS message: attribute VM_ID has 4 bytes of payload, want 8");
}

TEST(KmodWireMalformed, ShortCounterInsideAVcpuNestIsRejected) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  m.vm(5, 1, 3, "1-3", {}, true);
  nlattr* v = m.nest_start(DIRTYSCOPE_ATTR_VCPU);
  m.u32(DIRTYSCOPE_STAT_VCPU_INDEX, 0);
  m.u32(DIRTYSCOPE_STAT_VCPU_ID, 0);
  m.u32(DIRTYSCOPE_STAT_RING_PUSHES, 100);  // the module sends u64
  m.nest_end(v);
  m.u64(DIRTYSCOPE_ATTR_UNATTRIBUTED, 0, DIRTYSCOPE_ATTR_PAD);
  EXPECT_EQ(error_of(m.hdr()),
            "dirtyscope.ko GET_STATS message, VCPU #0: attribute STAT_RING_PUSHES has 4 bytes "
            "of payload, want 8");
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

  ModuleMsg no_counter(DIRTYSCOPE_CMD_GET_STATS);
  no_counter.vm(5, 1, 3, "1-3", {}, true);
  nlattr* v = no_counter.nest_start(DIRTYSCOPE_ATTR_VCPU);
  no_counter.u32(DIRTYSCOPE_STAT_VCPU_INDEX, 0);
  no_counter.u32(DIRTYSCOPE_STAT_VCPU_ID, 0);
  no_counter.nest_end(v);
  no_counter.u64(DIRTYSCOPE_ATTR_UNATTRIBUTED, 0, DIRTYSCOPE_ATTR_PAD);
  EXPECT_EQ(error_of(no_counter.hdr()),
            "dirtyscope.ko GET_STATS message, VCPU #0: missing attribute STAT_RING_PUSHES");

  ModuleMsg reset(DIRTYSCOPE_CMD_EVENT);
  reset.u32(DIRTYSCOPE_ATTR_EVENT, DIRTYSCOPE_EVENT_RING_RESET);
  reset.vm_id(3, 10, 4, "10-4");
  reset.u32(DIRTYSCOPE_ATTR_VCPU_INDEX, 0);
  EXPECT_THROW(
      {
        try {
          (void)parse_kmod_event(reset.hdr());
        } catch (const KmodProtocolError& e) {
          EXPECT_STREQ(e.what(), "dirtyscope.ko EVENT message: missing attribute RESET_ENTRIES");
          throw;
        }
      },
      KmodProtocolError);
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

  ModuleMsg same_vcpu(DIRTYSCOPE_CMD_GET_STATS);
  same_vcpu.vm(5, 1, 3, "1-3", {}, true);
  for (int i = 0; i < 2; ++i) {
    nlattr* v = same_vcpu.nest_start(DIRTYSCOPE_ATTR_VCPU);
    same_vcpu.u32(DIRTYSCOPE_STAT_VCPU_INDEX, 0);
    same_vcpu.u32(DIRTYSCOPE_STAT_VCPU_ID, 0);
    same_vcpu.counters(kVcpu0);
    same_vcpu.nest_end(v);
  }
  same_vcpu.u64(DIRTYSCOPE_ATTR_UNATTRIBUTED, 0, DIRTYSCOPE_ATTR_PAD);
  EXPECT_EQ(error_of(same_vcpu.hdr()), "dirtyscope.ko GET_STATS message: vCPU index 0 reported twice");

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

// --- Mapping onto DirtyStats.

KmodVm vm_of(std::uint64_t id, std::uint32_t pid, std::vector<KmodVcpu> vcpus) {
  KmodVm vm;
  vm.id = id;
  vm.pid = pid;
  vm.name = std::to_string(pid) + "-" + std::to_string(id);
  vm.nr_vcpus = static_cast<std::uint32_t>(vcpus.size());
  vm.vcpus = std::move(vcpus);
  return vm;
}

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

// --- SPP counters in the STATS nest.

constexpr SppCounters kSpp{.allowed = 41, .denied = 17, .events_dropped = 3};

TEST_P(KmodWire, SppTotalsParseFromTheStatsNest) {
  for (std::uint8_t cmd : {DIRTYSCOPE_CMD_GET_STATS, DIRTYSCOPE_CMD_LIST_VMS}) {
    ModuleMsg m(cmd, GetParam());
    m.spp = kSpp;
    m.vm(5, 4242, 9, "4242-9", {{0, kVcpu0}}, cmd == DIRTYSCOPE_CMD_GET_STATS);
    if (cmd == DIRTYSCOPE_CMD_GET_STATS) m.u64(DIRTYSCOPE_ATTR_UNATTRIBUTED, 0, DIRTYSCOPE_ATTR_PAD);
    const KmodVm vm = parse_kmod_vm(m.hdr(), cmd);
    EXPECT_EQ(vm.spp, std::optional<SppCounters>(kSpp)) << int(cmd);
    EXPECT_EQ(vm.totals.ring_pushes, 100u) << "the other counters are unaffected";
  }
}

TEST(KmodWire, AModuleWithoutSppHooksHasNoSppCounts) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  get_stats_reply(m);
  const KmodVm vm = parse_kmod_vm(m.hdr(), DIRTYSCOPE_CMD_GET_STATS);
  EXPECT_FALSE(vm.spp.has_value());
  EXPECT_FALSE(kmod_to_dirty_stats({vm}).vms.at(4242).spp.has_value());
  EXPECT_EQ(to_json(kmod_to_dirty_stats({vm})).find("spp_"), std::string::npos);
}

// Builds a LIST_VMS message whose STATS nest ends with `extra()`.
template <typename Extra>
std::string list_vms_error(Extra&& extra) {
  ModuleMsg m(DIRTYSCOPE_CMD_LIST_VMS);
  m.vm_id(2, 77, 3, "77-3");
  m.u32(DIRTYSCOPE_ATTR_NR_VCPUS, 0);
  nlattr* n = m.nest_start(DIRTYSCOPE_ATTR_STATS);
  m.counters({});
  extra(m);
  m.nest_end(n);
  try {
    (void)parse_kmod_vm(m.hdr(), DIRTYSCOPE_CMD_LIST_VMS);
  } catch (const KmodProtocolError& e) {
    return e.what();
  }
  return "parsed";
}

TEST(KmodWireMalformed, SppCountersComeAllThreeOrNone) {
  EXPECT_EQ(list_vms_error([](ModuleMsg& m) {
              m.u64(DIRTYSCOPE_STAT_SPP_ALLOWED, 1, DIRTYSCOPE_STAT_PAD);
              m.u64(DIRTYSCOPE_STAT_SPP_DENIED, 2, DIRTYSCOPE_STAT_PAD);
            }),
            "dirtyscope.ko LIST_VMS message, STATS: missing attribute STAT_SPP_EVENTS_DROPPED");
  EXPECT_EQ(list_vms_error([](ModuleMsg& m) { m.u64(DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED, 1, DIRTYSCOPE_STAT_PAD); }),
            "dirtyscope.ko LIST_VMS message, STATS: missing attribute STAT_SPP_ALLOWED");
  EXPECT_EQ(list_vms_error([](ModuleMsg&) {}), "parsed");
}

TEST(KmodWireMalformed, ShortSppCounterIsRejected) {
  EXPECT_EQ(list_vms_error([](ModuleMsg& m) {
              m.u64(DIRTYSCOPE_STAT_SPP_ALLOWED, 1, DIRTYSCOPE_STAT_PAD);
              m.u32(DIRTYSCOPE_STAT_SPP_DENIED, 2);
              m.u64(DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED, 0, DIRTYSCOPE_STAT_PAD);
            }),
            "dirtyscope.ko LIST_VMS message, STATS: attribute STAT_SPP_DENIED has 4 bytes of payload, want 8");
}

TEST(KmodWireMalformed, SppCountersInAVcpuNestAreRejected) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  m.vm(5, 4242, 9, "4242-9", {}, true);
  nlattr* v = m.nest_start(DIRTYSCOPE_ATTR_VCPU);
  m.u32(DIRTYSCOPE_STAT_VCPU_INDEX, 0);
  m.u32(DIRTYSCOPE_STAT_VCPU_ID, 0);
  m.counters(kVcpu0);
  m.u64(DIRTYSCOPE_STAT_SPP_DENIED, 1, DIRTYSCOPE_STAT_PAD);
  m.nest_end(v);
  m.u64(DIRTYSCOPE_ATTR_UNATTRIBUTED, 0, DIRTYSCOPE_ATTR_PAD);
  try {
    (void)parse_kmod_vm(m.hdr(), DIRTYSCOPE_CMD_GET_STATS);
    FAIL() << "accepted SPP counters in a VCPU nest";
  } catch (const KmodProtocolError& e) {
    EXPECT_STREQ(e.what(),
                 "dirtyscope.ko GET_STATS message, VCPU #0: SPP counters in a VCPU nest (VM totals only)");
  }
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

// --- SPP_SET, as the SPP counts source sends it.

TEST(KmodSppSet, RequestCarriesTheVmIdAndTheRangeInTheUapiTypes) {
  ModuleMsg m(DIRTYSCOPE_CMD_SPP_SET);
  put_spp_set(m.get(), 7, SppRange{.gfn = 0x12345, .npages = 3}, 0x0000ffffu);
  nlattr* tb[DIRTYSCOPE_ATTR_MAX + 1] = {};
  // The module's policy for these four (netlink.c): nla_parse with it must
  // accept the request and find exactly these values.
  nla_policy policy[DIRTYSCOPE_ATTR_MAX + 1] = {};
  policy[DIRTYSCOPE_ATTR_VM_ID].type = NLA_U64;
  policy[DIRTYSCOPE_ATTR_SPP_GFN].type = NLA_U64;
  policy[DIRTYSCOPE_ATTR_SPP_NPAGES].type = NLA_U32;
  policy[DIRTYSCOPE_ATTR_SPP_VECTOR].type = NLA_U32;
  ASSERT_EQ(genlmsg_parse(m.hdr(), 0, tb, DIRTYSCOPE_ATTR_MAX, policy), 0);
  ASSERT_TRUE(tb[DIRTYSCOPE_ATTR_VM_ID] && tb[DIRTYSCOPE_ATTR_SPP_GFN] && tb[DIRTYSCOPE_ATTR_SPP_NPAGES] &&
              tb[DIRTYSCOPE_ATTR_SPP_VECTOR]);
  EXPECT_EQ(nla_len(tb[DIRTYSCOPE_ATTR_VM_ID]), 8);
  EXPECT_EQ(nla_len(tb[DIRTYSCOPE_ATTR_SPP_GFN]), 8);
  EXPECT_EQ(nla_len(tb[DIRTYSCOPE_ATTR_SPP_NPAGES]), 4);
  EXPECT_EQ(nla_len(tb[DIRTYSCOPE_ATTR_SPP_VECTOR]), 4);
  EXPECT_EQ(nla_get_u64(tb[DIRTYSCOPE_ATTR_VM_ID]), 7u);
  EXPECT_EQ(nla_get_u64(tb[DIRTYSCOPE_ATTR_SPP_GFN]), 0x12345u);
  EXPECT_EQ(nla_get_u32(tb[DIRTYSCOPE_ATTR_SPP_NPAGES]), 3u);
  EXPECT_EQ(nla_get_u32(tb[DIRTYSCOPE_ATTR_SPP_VECTOR]), 0x0000ffffu);
  // By id only: the module refuses VM_ID together with VM_PID/VM_FD.
  EXPECT_EQ(tb[DIRTYSCOPE_ATTR_VM_PID], nullptr);
  EXPECT_EQ(tb[DIRTYSCOPE_ATTR_VM_FD], nullptr);
}

}  // namespace
}  // namespace dirtyscope::stats

// The read rule as the source applies it to a requested pid.
TEST(KmodHiddenReason, OwnUidOrACapabilitySeesTheVms) {
  using dirtyscope::stats::kmod_hidden_reason;
  EXPECT_EQ(kmod_hidden_reason(42, 1000, 1000, 0), std::nullopt);
  EXPECT_EQ(kmod_hidden_reason(42, 0, 1000, 1ULL << CAP_SYS_PTRACE), std::nullopt);
  EXPECT_EQ(kmod_hidden_reason(42, 0, 1000, 1ULL << CAP_SYS_ADMIN), std::nullopt);
  EXPECT_EQ(kmod_hidden_reason(42, 0, 1000, 1ULL << CAP_PERFMON), std::nullopt);
  const auto why = kmod_hidden_reason(42, 0, 1000, 1ULL << CAP_NET_ADMIN);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("process 42 runs as uid 0, this caller as uid 1000"), std::string::npos) << *why;
  EXPECT_NE(why->find("CAP_PERFMON"), std::string::npos) << *why;
}
