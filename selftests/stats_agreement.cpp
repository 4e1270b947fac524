#include "stats_agreement.hpp"

namespace dirtyscope {

std::string StatsComparison::describe() const {
  return what + " " + std::to_string(seen) + (agrees() ? " == " : " != ") + std::to_string(expected) + " " +
         basis;
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
  return out;
}

}  // namespace dirtyscope
