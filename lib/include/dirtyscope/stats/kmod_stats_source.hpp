// KmodStatsSource: dirty-tracking statistics from dirtyscope.ko over its
// generic netlink family "dirtyscope" (kmod/include/uapi/linux/dirtyscope.h),
// through libnl-genl. Same DirtyStats shape as BpfStatsSource, name "kmod";
// which module counter lands in which field: docs/statistics-and-alarm.md.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dirtyscope/stats/stats_source.hpp"

struct nlmsghdr;

namespace dirtyscope::stats {

// The exact reason given when the family is not registered: tools print it
// and exit 4, tests skip with it.
inline constexpr std::string_view kKmodNotLoaded =
    "generic netlink family 'dirtyscope' not registered: dirtyscope.ko is not loaded";

// A reply that does not follow the uapi contract (short or oversized
// attribute, missing attribute, trailing bytes, wrong command or version).
// Never a skip: the module and this client disagree, which is a bug.
class KmodProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One set of the module's counters (enum dirtyscope_stat), as sent.
struct KmodCounters {
  std::uint64_t ring_pushes = 0;
  std::uint64_t ring_resets = 0;
  std::uint64_t ring_reset_entries = 0;
  std::uint64_t ring_full_exits = 0;
  std::uint64_t page_faults = 0;
  std::uint64_t set_spte = 0;
  std::uint64_t set_spte_writable = 0;
  std::uint32_t ring_size = 0;
  std::uint32_t ring_high_water = 0;
  bool operator==(const KmodCounters&) const = default;
};

struct KmodVcpu {
  std::uint32_t index = 0;  // the module's vCPU index (KVM's vcpu_idx)
  std::uint32_t id = 0;     // the id given to KVM_CREATE_VCPU
  KmodCounters counters;
  bool operator==(const KmodVcpu&) const = default;
};

// How kmod_since() related a VM to its baseline.
enum class KmodReset : std::uint8_t {
  None,           // same generation, nothing went backwards: a plain difference
  Generation,     // the reset generation moved: RESET_STATS in between, from zero
  WentBackwards,  // no generation (older module) or the same one, but counters
                  // went backwards: reset in between, from zero
};

// One VM as LIST_VMS (totals only, vcpus empty) or GET_STATS reports it.
struct KmodVm {
  std::uint64_t id = 0;   // module handle, unique while the module is loaded
  std::uint32_t pid = 0;  // pid in KVM's debugfs name: the creating thread
  std::int32_t fd = -1;
  std::string name;       // "<pid>-<fd>"
  std::uint32_t nr_vcpus = 0;
  KmodCounters totals;
  // The STATS nest's SPP counters; absent from modules older than the SPP
  // hooks (same family version: the uapi only appended them).
  std::optional<SppCounters> spp;
  std::vector<KmodVcpu> vcpus;               // GET_STATS only
  // GET_STATS only, module-wide: sent only to CAP_SYS_ADMIN/CAP_PERFMON.
  std::optional<std::uint64_t> unattributed;
  // The VM's reset generation and drops; absent from modules older than
  // them (the uapi only appended them).
  std::optional<std::uint64_t> reset_gen;
  std::optional<DropCounters> drops;
  KmodReset reset = KmodReset::None;  // set by kmod_since()
  bool operator==(const KmodVm&) const = default;
};

// GET_MODULE: module-wide counters (CAP_SYS_ADMIN or CAP_PERFMON only).
struct KmodModule {
  std::uint64_t reset_gen = 0;
  DropCounters drops;  // every reason
  std::uint64_t unattributed = 0;
  bool operator==(const KmodModule&) const = default;
};

enum class KmodEventKind : std::uint32_t { RingFull = 1, RingReset = 2 };

// A notification from the "events" multicast group.
struct KmodEvent {
  std::uint32_t kind = 0;  // KmodEventKind; unknown future values kept as-is
  std::uint64_t vm_id = 0;
  std::uint32_t pid = 0;
  std::int32_t fd = -1;
  std::string vm_name;
  std::uint32_t vcpu_index = 0;
  std::uint64_t reset_entries = 0;  // RingReset only
  bool operator==(const KmodEvent&) const = default;
};

// --- Wire format (pure functions, unit-tested on messages built in memory).

// Parses one LIST_VMS (`cmd` = DIRTYSCOPE_CMD_LIST_VMS) or GET_STATS reply
// message. Checks the genetlink header (command, version), that every
// attribute lies inside the message with no trailing bytes, the exact
// payload size of every known attribute, nesting, and that every attribute
// v1 always sends is there. Unknown (newer) attributes are skipped.
// Throws KmodProtocolError naming the attribute and the sizes.
KmodVm parse_kmod_vm(const nlmsghdr* msg, std::uint8_t cmd);
// Same for a DIRTYSCOPE_CMD_EVENT notification.
KmodEvent parse_kmod_event(const nlmsghdr* msg);
// Same for the DIRTYSCOPE_CMD_GET_MODULE reply (all attributes required).
KmodModule parse_kmod_module(const nlmsghdr* msg);

// Why the module's read rule (kmod/README.md, "Permissions") hides the VMs
// of process `pid`, running as `process_euid`, from a caller with effective
// uid `caller_euid` and effective capability set `cap_effective` (bit n:
// capability n); nullopt if it shows them. KmodStatsSource refuses such a
// pid with this reason instead of reporting no VMs.
std::optional<std::string> kmod_hidden_reason(pid_t pid, uid_t process_euid, uid_t caller_euid,
                                              std::uint64_t cap_effective);

// `now` minus `base` (the same VM earlier), per vCPU index; counters reset
// in between (the generation moved, or they went backwards: `reset` says
// which, docs/statistics-and-alarm.md "Reset generations") are taken from
// zero. High-water marks and ring size are not counters: `now`'s.
KmodVm kmod_since(const KmodVm& now, const KmodVm& base);

// The DirtyStats form, keyed by process. `process_of` maps the module's
// pid (the thread that created the VM) to its process; identity if empty.
// Several VMs of one process are summed into one VmStats, vCPUs with the
// same vcpu_id adding up: DirtyStats is keyed by pid, like the BPF source.
DirtyStats kmod_to_dirty_stats(const std::vector<KmodVm>& vms,
                               const std::function<pid_t(std::uint32_t)>& process_of = {});

// What a reader remembers between snapshots: per-VM baselines by VM id,
// the module-wide one (nullopt: not readable by this caller), and its notes
// on inexactness so far (each once).
struct KmodBaseline {
  std::map<std::uint64_t, KmodVm> vms;
  std::optional<KmodModule> module;
  std::vector<std::string> inexact;
};

// One snapshot of a reader, from fresh GET_STATS replies (`now`) and
// GET_MODULE (`module`, nullopt if not read): counts since each VM's
// baseline (VMs without one: since module load), module-wide drops since
// the module baseline, and every note so far in DirtyStats::inexact (a
// reset by another reader: docs/statistics-and-alarm.md "Reset
// generations"). Baselines of VMs not in `now` (destroyed) are dropped.
DirtyStats kmod_snapshot(std::vector<KmodVm> now, const std::optional<KmodModule>& module, KmodBaseline& base,
                         const std::function<pid_t(std::uint32_t)>& process_of = {});

// --- The source.

struct KmodOptions {
  pid_t pid = 0;  // only the VMs of this process; 0 = all
};

class KmodStatsSource final : public StatsSource {
 public:
  // Connects, resolves the family (StatsUnavailable with kKmodNotLoaded if
  // it is not registered) and takes the baseline that snapshot() subtracts.
  explicit KmodStatsSource(KmodOptions options = {});
  ~KmodStatsSource() override;
  KmodStatsSource(KmodStatsSource&&) noexcept;
  KmodStatsSource& operator=(KmodStatsSource&&) noexcept;
  KmodStatsSource(const KmodStatsSource&) = delete;
  KmodStatsSource& operator=(const KmodStatsSource&) = delete;

  std::string_view name() const override { return "kmod"; }
  // Cumulative since construction (or since reset() for the VMs it reset).
  // A VM someone else reset since its baseline is rebaselined at zero
  // (counts since that reset) and named in DirtyStats::inexact.
  DirtyStats snapshot() override;

  // Raw GET_STATS of every VM (of options.pid, if set), as the module
  // reports them: counters since module load or the last RESET_STATS.
  std::vector<KmodVm> vms();

  // RESET_STATS: zeroes the module's counters of `pid`'s VMs, or of every
  // VM (and the unattributed count) with pid 0. Needs CAP_NET_ADMIN:
  // StatsUnavailable without it. Baselines of the reset VMs are dropped so
  // snapshot() stays consistent.
  void reset(pid_t pid = 0);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// RESET_STATS without keeping a source open (see KmodStatsSource::reset).
void kmod_reset_stats(pid_t pid = 0);

// Subscribes to the "events" multicast group for as long as it lives (RAII,
// move-only). Events are sent only while someone listens.
class KmodEventSubscriber {
 public:
  KmodEventSubscriber();  // StatsUnavailable if the module is not loaded
  ~KmodEventSubscriber();
  KmodEventSubscriber(KmodEventSubscriber&&) noexcept;
  KmodEventSubscriber& operator=(KmodEventSubscriber&&) noexcept;
  KmodEventSubscriber(const KmodEventSubscriber&) = delete;
  KmodEventSubscriber& operator=(const KmodEventSubscriber&) = delete;

  // Waits up to timeout_ms (0: just look, -1: forever) for events and
  // returns those that arrived (possibly none).
  std::vector<KmodEvent> poll(int timeout_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dirtyscope::stats
