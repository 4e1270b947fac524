// DirtyStats: the one shape of dirty-tracking statistics that every source
// (BPF, dirtyscope.ko) fills. Counters are cumulative since the source
// started; use delta() for an interval.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dirtyscope/stats/log2_histogram.hpp"

namespace dirtyscope::stats {

// The dirty-log ioctls whose latency is measured.
enum class DirtyIoctl : std::uint8_t { GetDirtyLog = 0, ClearDirtyLog = 1, ResetDirtyRings = 2 };
inline constexpr std::size_t kDirtyIoctlCount = 3;
inline constexpr std::array<DirtyIoctl, kDirtyIoctlCount> kAllDirtyIoctls = {
    DirtyIoctl::GetDirtyLog, DirtyIoctl::ClearDirtyLog, DirtyIoctl::ResetDirtyRings};
// The uapi macro name, e.g. "KVM_GET_DIRTY_LOG"; used as a JSON key.
std::string_view ioctl_name(DirtyIoctl which);

// vcpu_id used for events that could not be tied to a vCPU.
inline constexpr int kUnknownVcpu = -1;

struct VcpuCounters {
  std::uint64_t ring_pushes = 0;      // entries pushed to the dirty ring
  std::uint64_t ring_resets = 0;      // per-ring resets (one per vCPU per KVM_RESET_DIRTY_RINGS)
  std::uint64_t ring_full_exits = 0;  // KVM_EXIT_DIRTY_RING_FULL
  std::uint64_t page_faults = 0;      // kvm:kvm_page_fault (not every backend fires it)
  std::uint64_t fast_page_faults = 0; // kvmmmu:fast_page_fault
  std::uint64_t set_spte = 0;         // writable SPTEs installed: write faults
  std::uint64_t occupancy_hwm = 0;    // max entries in the ring at a push (a max, not a sum)
  // Ring capacity in entries, as KVM sized it; 0 = this source cannot see
  // it. Not a counter: a VM-wide sum takes the max.
  std::uint64_t ring_size = 0;

  // Sums counters and takes the max of occupancy_hwm and ring_size.
  VcpuCounters& operator+=(const VcpuCounters& o);
  bool operator==(const VcpuCounters&) const = default;
};

// Sub-page write protection of one VM (process): guest writes to
// registered pages that their vector allowed or denied, and denial
// notifications the source dropped. VM-wide: SPP is judged per page, not
// per vCPU. Only sources that judge SPP writes fill it (kmod).
struct SppCounters {
  std::uint64_t allowed = 0;
  std::uint64_t denied = 0;
  std::uint64_t events_dropped = 0;

  SppCounters& operator+=(const SppCounters& o);
  bool operator==(const SppCounters&) const = default;
};

// What a source saw but could not count, by reason (kmod: the module's
// enum dirtyscope_drop; see kmod/README.md). `events` is the total of
// counted events lost for any reason: a window over which it grew is not
// exact. The others count failed attempts to track something.
struct DropCounters {
  std::uint64_t events = 0;          // counted events lost (VM or vCPU untracked)
  std::uint64_t pending_events = 0;  // of those: their VM was waiting to be named
  std::uint64_t vm_alloc = 0;        // no VM entry (module-wide only)
  std::uint64_t vm_table_full = 0;   // the VM table was full (module-wide only)
  std::uint64_t vcpu_alloc = 0;      // no vCPU entry
  std::uint64_t task = 0;            // no thread attribution entry (module-wide only)
  std::uint64_t notify = 0;          // notifications not sent to a listener

  DropCounters& operator+=(const DropCounters& o);
  bool operator==(const DropCounters&) const = default;
};

struct IoctlStats {
  std::uint64_t count = 0;     // completed calls
  std::uint64_t total_ns = 0;  // sum of latencies, for the mean
  Log2Histogram latency_ns;

  IoctlStats& operator+=(const IoctlStats& o);
  bool operator==(const IoctlStats&) const = default;
};

// One VM, identified by its owning process. A process with several VMs is
// one entry: tracepoint context names the process, not the VM.
struct VmStats {
  pid_t pid = 0;
  std::map<int, VcpuCounters> vcpus;  // by vcpu_id; kUnknownVcpu possible
  std::array<IoctlStats, kDirtyIoctlCount> ioctls{};
  // Absent when the source does not count SPP, so "0 denied" is never
  // claimed by a source that cannot see denials.
  std::optional<SppCounters> spp;
  // Drops charged to this VM; absent when the source does not count them.
  std::optional<DropCounters> drops;

  VcpuCounters totals() const;
  const IoctlStats& ioctl(DirtyIoctl which) const {
    return ioctls[static_cast<std::size_t>(which)];
  }
  IoctlStats& ioctl(DirtyIoctl which) { return ioctls[static_cast<std::size_t>(which)]; }
  std::uint64_t ioctl_count() const;
  bool operator==(const VmStats&) const = default;
};

struct DirtyStats {
  std::string source;             // "bpf", "kmod": the JSON key prefix
  std::map<pid_t, VmStats> vms;   // by pid
  // Module-wide drops (every VM's, and of VMs never tracked); absent when
  // the source does not count them or the caller may not read them.
  std::optional<DropCounters> drops;
  // Why the counts may not be exact though no event was dropped, e.g.
  // "VM 123-4: reset by another reader (generation 0 -> 1)". Each once.
  std::vector<std::string> inexact;

  VcpuCounters totals() const;
  // Sum over the VMs that have SPP counts; nullopt if none has.
  std::optional<SppCounters> spp_total() const;
  IoctlStats ioctl_total(DirtyIoctl which) const;
  std::uint64_t ioctl_count() const;
  bool operator==(const DirtyStats&) const = default;
};

// after - before, entry by entry, for a refresh interval. occupancy_hwm is
// not a counter: the result keeps `after`'s value. `inexact` keeps the
// notes of `after` that `before` did not have yet.
DirtyStats delta(const DirtyStats& after, const DirtyStats& before);

}  // namespace dirtyscope::stats
