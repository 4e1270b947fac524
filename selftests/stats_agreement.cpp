#include "stats_agreement.hpp"

namespace dirtyscope {

std::string StatsComparison::describe() const {
  std::string d = what + " " + std::to_string(seen) + (exact() ? " == " : " != ") + std::to_string(expected) + " " +
                  basis;
  if (!exact() && !inexact.empty()) d += " (" + inexact + ")";
  return d;
}

std::string inexact_reason(const stats::DirtyStats& seen) {
  // Module-wide drops include every VM's and those of VMs never tracked;
  // without them (not readable by this caller), the VMs' own.
  uint64_t events = 0;
  if (seen.drops) {
    events = seen.drops->events;
  } else {
    for (const auto& [pid, vm] : seen.vms)
      if (vm.drops) events += vm.drops->events;
  }
  if (events) return "inexact: " + std::to_string(events) + " events dropped";
  if (!seen.inexact.empty()) return "inexact: " + seen.inexact.front();
  return {};
}

std::vector<StatsComparison> compare_stats(const stats::DirtyStats& seen, const ModeResult& run) {
  using stats::DirtyIoctl;
  const std::string prefix = seen.source + ".";
  const stats::VcpuCounters totals = seen.totals();
  std::vector<StatsComparison> out;
  if (run.ring_entries) {
    out.push_back({prefix + "ring_pushes", totals.ring_pushes, run.counters.ring_entries_harvested,
                   "ring entries harvested"});
    out.push_back({prefix + "ring_resets", totals.ring_resets, run.ioctls.reset_dirty_rings * run.vcpus,
                   "(KVM_RESET_DIRTY_RINGS calls x " + std::to_string(run.vcpus) + " vCPUs)"});
    out.push_back({prefix + "ring_full_exits", totals.ring_full_exits, run.counters.ring_full_exits,
                   "KVM_EXIT_DIRTY_RING_FULL exits handled"});
  }
  if (seen.source == "bpf") {  // the module does not time ioctls
    const struct {
      DirtyIoctl which;
      uint64_t issued;
    } ioctls[] = {{DirtyIoctl::GetDirtyLog, run.ioctls.get_dirty_log},
                  {DirtyIoctl::ClearDirtyLog, run.ioctls.clear_dirty_log},
                  {DirtyIoctl::ResetDirtyRings, run.ioctls.reset_dirty_rings}};
    for (const auto& i : ioctls)
      out.push_back({prefix + "ioctl." + std::string(stats::ioctl_name(i.which)) + ".count",
                     seen.ioctl_total(i.which).count, i.issued, "calls issued"});
  }
  // Only mismatches carry the reason: equal counts need no excuse.
  const std::string why = inexact_reason(seen);
  for (StatsComparison& c : out)
    if (!c.exact()) c.inexact = why;
  return out;
}

}  // namespace dirtyscope
