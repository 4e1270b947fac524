// KmodStatsSource and KmodEventSubscriber: a libnl-genl client of
// dirtyscope.ko's generic netlink family. The wire contract is the uapi
// header; this file parses replies strictly (a reply that breaks the
// contract is an error naming the attribute, never a guess or a crash),
// and maps the module's per-VM, per-vCPU counters onto DirtyStats.
#include "dirtyscope/stats/kmod_stats_source.hpp"

#include <linux/dirtyscope.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <system_error>
#include <utility>

#include "kmod_genl.hpp"

namespace dirtyscope::stats {

// The libnl plumbing shared with the SPP counts source.
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
std::uint32_t u32(const nlattr* a) {
  std::uint32_t v;
  std::memcpy(&v, nla_data(a), sizeof(v));
  return v;
}
std::int32_t s32(const nlattr* a) {
  std::int32_t v;
  std::memcpy(&v, nla_data(a), sizeof(v));
  return v;
}
std::uint64_t u64(const nlattr* a) {
  std::uint64_t v;
  std::memcpy(&v, nla_data(a), sizeof(v));
  return v;
}

using StatAttrs = Attrs<DIRTYSCOPE_STAT_MAX + 1>;
using TopAttrs = Attrs<DIRTYSCOPE_ATTR_MAX + 1>;

StatAttrs nest(const TopAttrs& top, const nlattr* a, const std::string& name) {
  return StatAttrs(static_cast<const nlattr*>(nla_data(a)), nla_len(a), kStatSpecs,
                   top.where() + ", " + name);
}

// Every v1 counter is required: the module always sends all of them, so a
// missing one means the two sides disagree about the contract.
KmodCounters counters(const StatAttrs& s) {
  KmodCounters c;
  c.ring_pushes = u64(s.need(DIRTYSCOPE_STAT_RING_PUSHES));
  c.ring_resets = u64(s.need(DIRTYSCOPE_STAT_RING_RESETS));
  c.ring_reset_entries = u64(s.need(DIRTYSCOPE_STAT_RING_RESET_ENTRIES));
  c.ring_full_exits = u64(s.need(DIRTYSCOPE_STAT_RING_FULL_EXITS));
  c.page_faults = u64(s.need(DIRTYSCOPE_STAT_PAGE_FAULTS));
  c.set_spte = u64(s.need(DIRTYSCOPE_STAT_SET_SPTE));
  c.set_spte_writable = u64(s.need(DIRTYSCOPE_STAT_SET_SPTE_WRITABLE));
  c.ring_size = u32(s.need(DIRTYSCOPE_STAT_RING_SIZE));
  c.ring_high_water = u32(s.need(DIRTYSCOPE_STAT_RING_HIGH_WATER));
  return c;
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


VcpuCounters to_vcpu_counters(const KmodCounters& k) {
  VcpuCounters v;
  v.ring_pushes = k.ring_pushes;
  v.ring_resets = k.ring_resets;
  v.ring_full_exits = k.ring_full_exits;
  v.page_faults = k.page_faults;
  // BPF's set_spte counts writable SPTEs only (write faults); match it.
  v.set_spte = k.set_spte_writable;
  v.occupancy_hwm = k.ring_high_water;
  v.ring_size = k.ring_size;
  // fast_page_faults: the module has no fast_page_fault probe, stays 0.
  return v;
}

bool went_backwards(const KmodCounters& now, const KmodCounters& base) {
  return now.ring_pushes < base.ring_pushes || now.ring_resets < base.ring_resets ||
         now.ring_reset_entries < base.ring_reset_entries ||
         now.ring_full_exits < base.ring_full_exits || now.page_faults < base.page_faults ||
         now.set_spte < base.set_spte || now.set_spte_writable < base.set_spte_writable;
}

KmodCounters minus(const KmodCounters& now, const KmodCounters& base) {
  KmodCounters d = now;  // ring_size, ring_high_water: not counters
  d.ring_pushes -= base.ring_pushes;
  d.ring_resets -= base.ring_resets;
  d.ring_reset_entries -= base.ring_reset_entries;
  d.ring_full_exits -= base.ring_full_exits;
  d.page_faults -= base.page_faults;
  d.set_spte -= base.set_spte;
  d.set_spte_writable -= base.set_spte_writable;
  return d;
}

void add(KmodCounters& sum, const KmodCounters& c) {
  sum.ring_pushes += c.ring_pushes;
  sum.ring_resets += c.ring_resets;
  sum.ring_reset_entries += c.ring_reset_entries;
  sum.ring_full_exits += c.ring_full_exits;
  sum.page_faults += c.page_faults;
  sum.set_spte += c.set_spte;
  sum.set_spte_writable += c.set_spte_writable;
  // The module's VM totals take the max of these two over vCPUs; so do we.
  sum.ring_size = std::max(sum.ring_size, c.ring_size);
  sum.ring_high_water = std::max(sum.ring_high_water, c.ring_high_water);
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
  if (cmd == DIRTYSCOPE_CMD_GET_STATS) {
    // Module-wide, so sent only to CAP_SYS_ADMIN/CAP_PERFMON callers.
    if (const nlattr* u = a.get(DIRTYSCOPE_ATTR_UNATTRIBUTED)) vm.unattributed = u64(u);
    for (const nlattr* v : a.repeated()) {
      const StatAttrs s = nest(a, v, "VCPU #" + std::to_string(vm.vcpus.size()));
      KmodVcpu vc;
      vc.index = u32(s.need(DIRTYSCOPE_STAT_VCPU_INDEX));
      vc.id = u32(s.need(DIRTYSCOPE_STAT_VCPU_ID));
      vc.counters = counters(s);
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

KmodVm kmod_since(const KmodVm& now, const KmodVm& base) {
  KmodVm out = now;
  out.totals = KmodCounters{};
  for (KmodVcpu& vc : out.vcpus) {
    const auto it = std::find_if(base.vcpus.begin(), base.vcpus.end(),
                                 [&](const KmodVcpu& b) { return b.index == vc.index; });
    // A vCPU new since the baseline, or one whose counters were zeroed by a
    // RESET_STATS in between, counts from zero.
    if (it != base.vcpus.end() && !went_backwards(vc.counters, it->counters))
      vc.counters = minus(vc.counters, it->counters);
    add(out.totals, vc.counters);
  }
  if (now.vcpus.empty()) out.totals = now.totals;  // a LIST_VMS record: nothing to subtract by
  // SPP counts are VM-wide; counters that went backwards were reset.
  if (now.spp && base.spp && now.spp->allowed >= base.spp->allowed &&
      now.spp->denied >= base.spp->denied && now.spp->events_dropped >= base.spp->events_dropped)
    out.spp = SppCounters{.allowed = now.spp->allowed - base.spp->allowed,
                          .denied = now.spp->denied - base.spp->denied,
                          .events_dropped = now.spp->events_dropped - base.spp->events_dropped};
  if (now.unattributed && base.unattributed && *now.unattributed >= *base.unattributed)
    out.unattributed = *now.unattributed - *base.unattributed;
  return out;
}

DirtyStats kmod_to_dirty_stats(const std::vector<KmodVm>& vms,
                               const std::function<pid_t(std::uint32_t)>& process_of) {
  DirtyStats out;
  out.source = "kmod";
  for (const KmodVm& vm : vms) {
    const pid_t pid = process_of ? process_of(vm.pid) : static_cast<pid_t>(vm.pid);
    // Several VMs of one process (or two VMs whose creating threads belong
    // to one process) become one VmStats: DirtyStats is keyed by process,
    // as the BPF source sees it. Their vCPUs with the same id add up.
    VmStats& v = out.vms[pid];
    v.pid = pid;
    if (vm.spp) {
      if (!v.spp) v.spp.emplace();
      *v.spp += *vm.spp;
    }
    for (const KmodVcpu& vc : vm.vcpus) v.vcpus[static_cast<int>(vc.id)] += to_vcpu_counters(vc.counters);
    // A LIST_VMS record has only totals; keep them rather than drop them.
    if (vm.vcpus.empty() && vm.totals != KmodCounters{})
      v.vcpus[kUnknownVcpu] += to_vcpu_counters(vm.totals);
  }
  return out;
}

// ---------------------------------------------------------------------------
// KmodStatsSource.

struct KmodStatsSource::Impl {
  KmodOptions options;
  Connected conn;
  std::map<std::uint64_t, KmodVm> baseline;  // by VM id (never reused while loaded)

  std::vector<KmodVm> all() {
    std::vector<KmodVm> out;
    for (const KmodVm& listed : list_vms(conn)) {
      if (options.pid && process_of_thread(listed.pid) != options.pid) continue;
      if (auto vm = get_stats(conn, listed.id)) out.push_back(std::move(*vm));
    }
    return out;
  }
};

std::optional<std::string> kmod_hidden_reason(pid_t pid, uid_t process_euid, uid_t caller_euid,
                                              std::uint64_t cap_effective) {
  constexpr std::uint64_t kSeeAll =
      (1ULL << CAP_SYS_PTRACE) | (1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_PERFMON);
  if (process_euid == caller_euid || (cap_effective & kSeeAll)) return std::nullopt;
  return "process " + std::to_string(pid) + " runs as uid " + std::to_string(process_euid) + ", this caller as uid " +
         std::to_string(caller_euid) + ": " + kKmodVisibility;
}

namespace {

// This process's effective capabilities, from /proc/self/status.
std::uint64_t own_cap_effective() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  unsigned long long caps = 0;
  while (std::fgets(line, sizeof(line), f))
    if (std::sscanf(line, "CapEff: %llx", &caps) == 1) break;
  std::fclose(f);
  return caps;
}

// Refuses a pid whose VMs the module would hide: an empty view would read
// as "this process has no VMs". A pid that does not exist (yet) passes.
void check_visible(pid_t pid) {
  struct stat st {};
  if (pid == 0 || ::stat(("/proc/" + std::to_string(pid)).c_str(), &st) != 0) return;
  if (auto why = kmod_hidden_reason(pid, st.st_uid, ::geteuid(), own_cap_effective()))
    throw StatsUnavailable(*why);
}

}  // namespace

KmodStatsSource::KmodStatsSource(KmodOptions options)
    : impl_(std::make_unique<Impl>(Impl{options, connect_family(), {}})) {
  check_visible(options.pid);
  for (KmodVm& vm : impl_->all()) impl_->baseline.emplace(vm.id, std::move(vm));
}

KmodStatsSource::~KmodStatsSource() = default;
KmodStatsSource::KmodStatsSource(KmodStatsSource&&) noexcept = default;
KmodStatsSource& KmodStatsSource::operator=(KmodStatsSource&&) noexcept = default;

std::vector<KmodVm> KmodStatsSource::vms() { return impl_->all(); }

DirtyStats KmodStatsSource::snapshot() {
  std::vector<KmodVm> now = impl_->all();
  std::map<std::uint64_t, KmodVm> still;
  for (KmodVm& vm : now) {
    if (const auto it = impl_->baseline.find(vm.id); it != impl_->baseline.end()) {
      vm = kmod_since(vm, it->second);
      still.insert(impl_->baseline.extract(it));
    }
  }
  // Baselines of destroyed VMs are dropped: their ids never come back.
  impl_->baseline = std::move(still);
  return kmod_to_dirty_stats(now, process_of_thread);
}

void KmodStatsSource::reset(pid_t pid) {
  if (pid == 0) {
    reset_stats(impl_->conn, std::nullopt);
    impl_->baseline.clear();
    return;
  }
  for (const KmodVm& vm : list_vms(impl_->conn)) {
    if (process_of_thread(vm.pid) != pid) continue;
    reset_stats(impl_->conn, vm.id);
    impl_->baseline.erase(vm.id);
  }
}

bool KmodStatsSource::available() {
  try {
    (void)connect_family();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

void kmod_reset_stats(pid_t pid) {
  const Connected c = connect_family();
  if (pid == 0) return reset_stats(c, std::nullopt);
  for (const KmodVm& vm : list_vms(c))
    if (process_of_thread(vm.pid) == pid) reset_stats(c, vm.id);
}

// ---------------------------------------------------------------------------
// KmodEventSubscriber.

struct KmodEventSubscriber::Impl {
  Connected conn;
};

KmodEventSubscriber::KmodEventSubscriber() : impl_(std::make_unique<Impl>(Impl{connect_family()})) {
  nl_sock* sk = impl_->conn.sock.get();
  const int grp = genl_ctrl_resolve_grp(sk, DIRTYSCOPE_GENL_NAME, DIRTYSCOPE_GENL_MCGRP_EVENTS);
  if (grp == -NLE_OBJ_NOTFOUND) throw StatsUnavailable(std::string(kKmodNotLoaded));
  if (grp < 0)
    throw std::runtime_error("resolving multicast group '" DIRTYSCOPE_GENL_MCGRP_EVENTS "': " + nl_error(grp));
  if (const int rc = nl_socket_add_membership(sk, grp); rc < 0) {
    const std::string what = "joining multicast group '" DIRTYSCOPE_GENL_MCGRP_EVENTS "': " + nl_error(rc);
    // A missing privilege is "cannot do this here", like RESET_STATS's.
    if (rc == -NLE_PERM) throw StatsUnavailable(what + " (" + kKmodVisibility + ")");
    throw std::runtime_error(what);
  }
  // poll() drains whatever is queued and must not block on an empty socket.
  if (const int rc = nl_socket_set_nonblocking(sk); rc < 0)
    throw std::runtime_error("nl_socket_set_nonblocking: " + nl_error(rc));
}

KmodEventSubscriber::~KmodEventSubscriber() = default;
KmodEventSubscriber::KmodEventSubscriber(KmodEventSubscriber&&) noexcept = default;
KmodEventSubscriber& KmodEventSubscriber::operator=(KmodEventSubscriber&&) noexcept = default;

int KmodEventSubscriber::fd() const { return nl_socket_get_fd(impl_->conn.sock.get()); }

std::vector<KmodEvent> KmodEventSubscriber::poll(int timeout_ms) {
  std::vector<KmodEvent> events;
  pollfd p{.fd = fd(), .events = POLLIN, .revents = 0};
  const int r = ::poll(&p, 1, timeout_ms);
  if (r < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
  if (r <= 0) return events;

  const std::function<void(const nlmsghdr*)> on_msg = [&](const nlmsghdr* h) {
    events.push_back(parse_kmod_event(h));
  };
  CbPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
  if (!cb) throw std::bad_alloc();
  Exchange x{.family = impl_->conn.family, .cmd = DIRTYSCOPE_CMD_EVENT, .on_msg = &on_msg};
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
  // Notifications carry sequence number 0, not that of a request of ours.
  // nl_socket_disable_seq_check() would only change the socket's own
  // callbacks, not this set, so accept every sequence number here.
  nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, [](nl_msg*, void*) { return static_cast<int>(NL_OK); }, nullptr);
  for (;;) {
    const int n = nl_recvmsgs_report(impl_->conn.sock.get(), cb.get());
    if (n == 0 || n == -NLE_AGAIN) break;  // drained
    // ENOBUFS: the kernel dropped notifications because we read too slowly.
    if (n == -NLE_NOMEM)
      throw std::runtime_error("dirtyscope events: notifications lost (socket receive buffer overflowed)");
    if (n < 0) throw std::runtime_error("dirtyscope events: receive: " + nl_error(n));
    if (x.failure) std::rethrow_exception(x.failure);
  }
  if (x.failure) std::rethrow_exception(x.failure);
  return events;
}

}  // namespace dirtyscope::stats
