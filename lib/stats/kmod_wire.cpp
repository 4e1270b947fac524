// Strict parsing of dirtyscope.ko's generic netlink messages (the uapi
// header is the contract): a reply that breaks the contract is an error
// naming the attribute, never a guess or a crash.
#include <linux/dirtyscope.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>

#include <array>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "dirtyscope/stats/kmod_stats_source.hpp"
#include "kmod_genl.hpp"

namespace dirtyscope::stats {

using namespace kmod;

namespace {

// ---------------------------------------------------------------------------
// Strict attribute parsing.

enum class Kind : std::uint8_t { Absent, Ignore, U32, S32, U64, String, Nest };

struct AttrSpec {
  const char* name = nullptr;
  Kind kind = Kind::Absent;  // Absent: not expected here, skipped like unknown
  bool repeated = false;
};

// Top-level attributes (enum dirtyscope_attr).
constexpr std::array<AttrSpec, DIRTYSCOPE_ATTR_MAX + 1> kAttrSpecs = [] {
  std::array<AttrSpec, DIRTYSCOPE_ATTR_MAX + 1> a{};
  a[DIRTYSCOPE_ATTR_PAD] = {"PAD", Kind::Ignore};
  a[DIRTYSCOPE_ATTR_VM_ID] = {"VM_ID", Kind::U64};
  a[DIRTYSCOPE_ATTR_VM_PID] = {"VM_PID", Kind::U32};
  a[DIRTYSCOPE_ATTR_VM_FD] = {"VM_FD", Kind::S32};
  a[DIRTYSCOPE_ATTR_VM_NAME] = {"VM_NAME", Kind::String};
  a[DIRTYSCOPE_ATTR_NR_VCPUS] = {"NR_VCPUS", Kind::U32};
  a[DIRTYSCOPE_ATTR_STATS] = {"STATS", Kind::Nest};
  a[DIRTYSCOPE_ATTR_VCPU] = {"VCPU", Kind::Nest, true};
  a[DIRTYSCOPE_ATTR_EVENT] = {"EVENT", Kind::U32};
  a[DIRTYSCOPE_ATTR_VCPU_INDEX] = {"VCPU_INDEX", Kind::U32};
  a[DIRTYSCOPE_ATTR_RESET_ENTRIES] = {"RESET_ENTRIES", Kind::U64};
  a[DIRTYSCOPE_ATTR_UNATTRIBUTED] = {"UNATTRIBUTED", Kind::U64};
  a[DIRTYSCOPE_ATTR_RESET_GEN] = {"RESET_GEN", Kind::U64};
  a[DIRTYSCOPE_ATTR_DROPS] = {"DROPS", Kind::Nest};
  return a;
}();

// Inside DROPS nests (enum dirtyscope_drop).
constexpr std::array<AttrSpec, DIRTYSCOPE_DROP_MAX + 1> kDropSpecs = [] {
  std::array<AttrSpec, DIRTYSCOPE_DROP_MAX + 1> a{};
  a[DIRTYSCOPE_DROP_PAD] = {"DROP_PAD", Kind::Ignore};
  a[DIRTYSCOPE_DROP_EVENTS] = {"DROP_EVENTS", Kind::U64};
  a[DIRTYSCOPE_DROP_PENDING_EVENTS] = {"DROP_PENDING_EVENTS", Kind::U64};
  a[DIRTYSCOPE_DROP_VM_ALLOC] = {"DROP_VM_ALLOC", Kind::U64};
  a[DIRTYSCOPE_DROP_VM_TABLE_FULL] = {"DROP_VM_TABLE_FULL", Kind::U64};
  a[DIRTYSCOPE_DROP_VCPU_ALLOC] = {"DROP_VCPU_ALLOC", Kind::U64};
  a[DIRTYSCOPE_DROP_TASK] = {"DROP_TASK", Kind::U64};
  a[DIRTYSCOPE_DROP_NOTIFY] = {"DROP_NOTIFY", Kind::U64};
  return a;
}();

// Counters inside STATS / VCPU nests (enum dirtyscope_stat).
constexpr std::array<AttrSpec, DIRTYSCOPE_STAT_MAX + 1> kStatSpecs = [] {
  std::array<AttrSpec, DIRTYSCOPE_STAT_MAX + 1> a{};
  a[DIRTYSCOPE_STAT_PAD] = {"STAT_PAD", Kind::Ignore};
  a[DIRTYSCOPE_STAT_VCPU_INDEX] = {"STAT_VCPU_INDEX", Kind::U32};
  a[DIRTYSCOPE_STAT_VCPU_ID] = {"STAT_VCPU_ID", Kind::U32};
  a[DIRTYSCOPE_STAT_RING_PUSHES] = {"STAT_RING_PUSHES", Kind::U64};
  a[DIRTYSCOPE_STAT_RING_RESETS] = {"STAT_RING_RESETS", Kind::U64};
  a[DIRTYSCOPE_STAT_RING_RESET_ENTRIES] = {"STAT_RING_RESET_ENTRIES", Kind::U64};
  a[DIRTYSCOPE_STAT_RING_FULL_EXITS] = {"STAT_RING_FULL_EXITS", Kind::U64};
  a[DIRTYSCOPE_STAT_PAGE_FAULTS] = {"STAT_PAGE_FAULTS", Kind::U64};
  a[DIRTYSCOPE_STAT_SET_SPTE] = {"STAT_SET_SPTE", Kind::U64};
  a[DIRTYSCOPE_STAT_SET_SPTE_WRITABLE] = {"STAT_SET_SPTE_WRITABLE", Kind::U64};
  a[DIRTYSCOPE_STAT_RING_SIZE] = {"STAT_RING_SIZE", Kind::U32};
  a[DIRTYSCOPE_STAT_RING_HIGH_WATER] = {"STAT_RING_HIGH_WATER", Kind::U32};
  a[DIRTYSCOPE_STAT_SPP_ALLOWED] = {"STAT_SPP_ALLOWED", Kind::U64};
  a[DIRTYSCOPE_STAT_SPP_DENIED] = {"STAT_SPP_DENIED", Kind::U64};
  a[DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED] = {"STAT_SPP_EVENTS_DROPPED", Kind::U64};
  return a;
}();

// The attributes of one level (message payload or one nest), validated.
template <std::size_t N>
class Attrs {
 public:
  Attrs(const nlattr* head, int len, const std::array<AttrSpec, N>& specs, std::string where)
      : specs_(specs), where_(std::move(where)) {
    int rem = len;
    const nlattr* pos = head;
    // nla_ok() refuses an attribute whose header or declared length does
    // not fit in what is left, so a short or overlong attribute ends the
    // walk with bytes remaining: that is the error, not a silent stop.
    for (; nla_ok(pos, rem); pos = nla_next(pos, &rem)) {
      const int type = nla_type(pos);
      // Unknown types come from a newer module (the uapi appends, never
      // renumbers): skip them, as the compatibility rules intend.
      if (type <= 0 || static_cast<std::size_t>(type) >= N) continue;
      const AttrSpec& s = specs[static_cast<std::size_t>(type)];
      if (s.kind == Kind::Absent || s.kind == Kind::Ignore) continue;
      check_size(*pos, s);
      if (s.repeated) {
        repeated_.push_back(pos);
      } else {
        if (one_[static_cast<std::size_t>(type)])
          bad(where_, std::string("attribute ") + s.name + " appears twice");
        one_[static_cast<std::size_t>(type)] = pos;
      }
    }
    // The kernel pads every attribute to 4 bytes, so a well-formed level
    // ends exactly at its end. Anything left is a truncated attribute.
    if (rem > 0) {
      const auto offset = len - rem;
      std::string what = std::to_string(rem) + " byte(s) at offset " + std::to_string(offset) +
                         " of " + std::to_string(len) + " are not a whole attribute";
      if (rem >= static_cast<int>(sizeof(nlattr)))
        what += " (attribute type " + std::to_string(nla_type(pos)) + " claims " +
                std::to_string(pos->nla_len) + " bytes)";
      bad(where_, "malformed attribute: " + what);
    }
  }

  const nlattr* get(int type) const { return one_[static_cast<std::size_t>(type)]; }
  const nlattr* need(int type) const {
    const nlattr* a = get(type);
    if (!a) bad(where_, std::string("missing attribute ") + specs_[static_cast<std::size_t>(type)].name);
    return a;
  }
  const std::vector<const nlattr*>& repeated() const { return repeated_; }
  const std::string& where() const { return where_; }

 private:
  void check_size(const nlattr& a, const AttrSpec& s) const {
    const int got = nla_len(&a);
    int want = -1;
    switch (s.kind) {
      case Kind::U32:
      case Kind::S32: want = 4; break;
      case Kind::U64: want = 8; break;
      case Kind::String:
        if (got < 1 || static_cast<const char*>(nla_data(&a))[got - 1] != '\0')
          bad(where_, std::string("attribute ") + s.name + " (" + std::to_string(got) +
                          " bytes) is not a NUL-terminated string");
        return;
      default: return;  // nests are checked when parsed
    }
    if (got != want)
      bad(where_, std::string("attribute ") + s.name + " has " + std::to_string(got) +
                      " bytes of payload, want " + std::to_string(want));
  }

  const std::array<AttrSpec, N>& specs_;
  std::string where_;
  std::array<const nlattr*, N> one_{};
  std::vector<const nlattr*> repeated_;
};

// Payload reads by memcpy: sizes are checked already, and netlink only
// guarantees 4-byte alignment, so a u64 may sit unaligned.
template <typename T>
T payload(const nlattr* a) {
  T v;
  std::memcpy(&v, nla_data(a), sizeof(v));
  return v;
}
constexpr auto u32 = payload<std::uint32_t>;
constexpr auto s32 = payload<std::int32_t>;
constexpr auto u64 = payload<std::uint64_t>;

using StatAttrs = Attrs<DIRTYSCOPE_STAT_MAX + 1>;
using TopAttrs = Attrs<DIRTYSCOPE_ATTR_MAX + 1>;

StatAttrs nest(const TopAttrs& top, const nlattr* a, const std::string& name) {
  return StatAttrs(static_cast<const nlattr*>(nla_data(a)), nla_len(a), kStatSpecs,
                   top.where() + ", " + name);
}

// Every v1 counter is required: the module always sends all of them, so a
// missing one means the two sides disagree about the contract.
KmodCounters counters(const StatAttrs& s) {
  return KmodCounters{.ring_pushes = u64(s.need(DIRTYSCOPE_STAT_RING_PUSHES)),
                      .ring_resets = u64(s.need(DIRTYSCOPE_STAT_RING_RESETS)),
                      .ring_reset_entries = u64(s.need(DIRTYSCOPE_STAT_RING_RESET_ENTRIES)),
                      .ring_full_exits = u64(s.need(DIRTYSCOPE_STAT_RING_FULL_EXITS)),
                      .page_faults = u64(s.need(DIRTYSCOPE_STAT_PAGE_FAULTS)),
                      .set_spte = u64(s.need(DIRTYSCOPE_STAT_SET_SPTE)),
                      .set_spte_writable = u64(s.need(DIRTYSCOPE_STAT_SET_SPTE_WRITABLE)),
                      .ring_size = u32(s.need(DIRTYSCOPE_STAT_RING_SIZE)),
                      .ring_high_water = u32(s.need(DIRTYSCOPE_STAT_RING_HIGH_WATER))};
}

// The SPP counters of a STATS nest: all three or none. A module without
// the SPP hooks sends none; one that sends some but not all disagrees with
// the contract.
std::optional<SppCounters> spp_counters(const StatAttrs& s) {
  const nlattr* allowed = s.get(DIRTYSCOPE_STAT_SPP_ALLOWED);
  const nlattr* denied = s.get(DIRTYSCOPE_STAT_SPP_DENIED);
  const nlattr* dropped = s.get(DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED);
  if (!allowed && !denied && !dropped) return std::nullopt;
  return SppCounters{.allowed = u64(s.need(DIRTYSCOPE_STAT_SPP_ALLOWED)),
                     .denied = u64(s.need(DIRTYSCOPE_STAT_SPP_DENIED)),
                     .events_dropped = u64(s.need(DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED))};
}

using DropAttrs = Attrs<DIRTYSCOPE_DROP_MAX + 1>;

// A DROPS nest. A VM's carries the reasons charged to one VM, the
// module's (module = true) every reason; each is then required.
DropCounters drops(const TopAttrs& top, bool module) {
  const nlattr* a = top.need(DIRTYSCOPE_ATTR_DROPS);
  const DropAttrs d(static_cast<const nlattr*>(nla_data(a)), nla_len(a), kDropSpecs, top.where() + ", DROPS");
  DropCounters c;
  c.events = u64(d.need(DIRTYSCOPE_DROP_EVENTS));
  c.pending_events = u64(d.need(DIRTYSCOPE_DROP_PENDING_EVENTS));
  c.vcpu_alloc = u64(d.need(DIRTYSCOPE_DROP_VCPU_ALLOC));
  c.notify = u64(d.need(DIRTYSCOPE_DROP_NOTIFY));
  if (module) {
    c.vm_alloc = u64(d.need(DIRTYSCOPE_DROP_VM_ALLOC));
    c.vm_table_full = u64(d.need(DIRTYSCOPE_DROP_VM_TABLE_FULL));
    c.task = u64(d.need(DIRTYSCOPE_DROP_TASK));
  } else if (d.get(DIRTYSCOPE_DROP_VM_ALLOC) || d.get(DIRTYSCOPE_DROP_VM_TABLE_FULL) ||
             d.get(DIRTYSCOPE_DROP_TASK)) {
    bad(d.where(), "module-wide drop reasons in a VM's DROPS nest");
  }
  return c;
}

// Checks the generic netlink header and returns the top-level attributes.
TopAttrs top_attrs(const nlmsghdr* msg, std::uint8_t cmd) {
  const std::string where = std::string(cmd_name(cmd)) + " message";
  if (!msg) bad(where, "no message");
  // By hand rather than genlmsg_valid_hdr(), which wants a mutable header.
  constexpr std::uint32_t kHeaders = NLMSG_HDRLEN + GENL_HDRLEN;
  if (msg->nlmsg_len < kHeaders)
    bad(where, "message of " + std::to_string(msg->nlmsg_len) +
                   " bytes is too short for the netlink and genetlink headers (" +
                   std::to_string(kHeaders) + ")");
  const auto* gh = static_cast<const genlmsghdr*>(nlmsg_data(msg));
  if (gh->cmd != cmd)
    bad(where, "reply carries command " + std::to_string(gh->cmd) + " (" + cmd_name(gh->cmd) +
                   "), want " + std::to_string(cmd));
  // A version bump means an existing attribute changed meaning: refuse to
  // misread it rather than guess.
  if (gh->version != DIRTYSCOPE_GENL_VERSION)
    bad(where, "family version " + std::to_string(gh->version) + ", this client speaks " +
                   std::to_string(DIRTYSCOPE_GENL_VERSION));
  const auto* head =
      reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(msg) + kHeaders);
  return TopAttrs(head, static_cast<int>(msg->nlmsg_len - kHeaders), kAttrSpecs, where);
}

}  // namespace

// ---------------------------------------------------------------------------
// Wire format.

KmodVm parse_kmod_vm(const nlmsghdr* msg, std::uint8_t cmd) {
  const TopAttrs a = top_attrs(msg, cmd);
  KmodVm vm;
  vm.id = u64(a.need(DIRTYSCOPE_ATTR_VM_ID));
  if (vm.id == 0) bad(a.where(), "VM_ID 0 (ids start at 1)");
  vm.pid = u32(a.need(DIRTYSCOPE_ATTR_VM_PID));
  vm.fd = s32(a.need(DIRTYSCOPE_ATTR_VM_FD));
  vm.name = static_cast<const char*>(nla_data(a.need(DIRTYSCOPE_ATTR_VM_NAME)));
  vm.nr_vcpus = u32(a.need(DIRTYSCOPE_ATTR_NR_VCPUS));
  const StatAttrs stats = nest(a, a.need(DIRTYSCOPE_ATTR_STATS), "STATS");
  vm.totals = counters(stats);
  vm.spp = spp_counters(stats);
  // Both or neither: a module with reset generations counts drops too.
  if (const nlattr* g = a.get(DIRTYSCOPE_ATTR_RESET_GEN)) {
    vm.reset_gen = u64(g);
    vm.drops = drops(a, false);
  } else if (a.get(DIRTYSCOPE_ATTR_DROPS)) {
    bad(a.where(), "DROPS without RESET_GEN");
  }
  if (cmd == DIRTYSCOPE_CMD_GET_STATS) {
    // Module-wide, so sent only to CAP_SYS_ADMIN/CAP_PERFMON callers.
    if (const nlattr* u = a.get(DIRTYSCOPE_ATTR_UNATTRIBUTED)) vm.unattributed = u64(u);
    for (const nlattr* v : a.repeated()) {
      const StatAttrs s = nest(a, v, "VCPU #" + std::to_string(vm.vcpus.size()));
      const KmodVcpu vc{.index = u32(s.need(DIRTYSCOPE_STAT_VCPU_INDEX)), .id = u32(s.need(DIRTYSCOPE_STAT_VCPU_ID)),
                        .counters = counters(s)};
      // The module judges SPP per page and counts per VM only.
      if (s.get(DIRTYSCOPE_STAT_SPP_ALLOWED) || s.get(DIRTYSCOPE_STAT_SPP_DENIED) ||
          s.get(DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED))
        bad(s.where(), "SPP counters in a VCPU nest (VM totals only)");
      for (const KmodVcpu& seen : vm.vcpus)
        if (seen.index == vc.index)
          bad(a.where(), "vCPU index " + std::to_string(vc.index) + " reported twice");
      vm.vcpus.push_back(vc);
    }
  } else if (!a.repeated().empty()) {
    bad(a.where(), "VCPU nests in a LIST_VMS message (GET_STATS only)");
  }
  return vm;
}

KmodModule parse_kmod_module(const nlmsghdr* msg) {
  const TopAttrs a = top_attrs(msg, DIRTYSCOPE_CMD_GET_MODULE);
  return KmodModule{.reset_gen = u64(a.need(DIRTYSCOPE_ATTR_RESET_GEN)),
                    .drops = drops(a, true),
                    .unattributed = u64(a.need(DIRTYSCOPE_ATTR_UNATTRIBUTED))};
}

KmodEvent parse_kmod_event(const nlmsghdr* msg) {
  const TopAttrs a = top_attrs(msg, DIRTYSCOPE_CMD_EVENT);
  KmodEvent e;
  e.kind = u32(a.need(DIRTYSCOPE_ATTR_EVENT));
  e.vm_id = u64(a.need(DIRTYSCOPE_ATTR_VM_ID));
  e.pid = u32(a.need(DIRTYSCOPE_ATTR_VM_PID));
  e.fd = s32(a.need(DIRTYSCOPE_ATTR_VM_FD));
  e.vm_name = static_cast<const char*>(nla_data(a.need(DIRTYSCOPE_ATTR_VM_NAME)));
  e.vcpu_index = u32(a.need(DIRTYSCOPE_ATTR_VCPU_INDEX));
  if (e.kind == static_cast<std::uint32_t>(KmodEventKind::RingReset))
    e.reset_entries = u64(a.need(DIRTYSCOPE_ATTR_RESET_ENTRIES));
  return e;
}

}  // namespace dirtyscope::stats
