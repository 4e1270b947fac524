#include "dirtyscope/stats/stats_agreement.hpp"
#include "dirtyscope/text_list.hpp"

namespace dirtyscope {

namespace {

// This process's counted drops: nullopt when no VM of it has a drop count.
std::optional<uint64_t> vm_drops(const stats::DirtyStats& seen) {
  std::optional<uint64_t> events;
  for (const auto& [pid, vm] : seen.vms)
    if (vm.drops) events = events.value_or(0) + vm.drops->events;
  return events;
}

// What a reader of a mismatch needs beyond the numbers: drops that exist
// but cannot be charged to this VM, and resets whose loss nobody counted.
std::string note_for(const stats::DirtyStats& seen, const std::optional<uint64_t>& mine) {
  std::string note;
  auto add = [&note](const std::string& s) { append_item(note, "; ", s); };
  if (!mine) {
    if (seen.drops && seen.drops->events)
      add(std::to_string(seen.drops->events) +
          " events dropped module-wide, but none is charged to this VM: they may be any VM's");
    else
      add("the source counts no drops for this VM");
  }
  for (const std::string& n : seen.inexact) add(n);
  return note;
}

}  // namespace

std::string StatsComparison::describe() const {
  std::string d = what + " " + std::to_string(seen) + (exact() ? " == " : " != ") + std::to_string(expected) + " " +
                  basis;
  if (exact()) return d;
  const std::string dropped = vm_drops ? "this VM dropped " + std::to_string(*vm_drops) + " events" : "";
  if (excused()) return d + " (excused: " + std::to_string(expected - seen) + " missing, " + dropped + ")";
  std::string why;
  if (seen > expected)
    why = std::to_string(seen - expected) + " more than the run did; drops only lose counts";
  else if (vm_drops)
    why = std::to_string(expected - seen) + " missing, but " + dropped;
  if (!note.empty()) append_item(why, "; ", note);
  return d + " (not excused: " + why + ")";
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
  // Each comparison may use all of this VM's drops: a dropped event could
  // have been of any kind, so the bound holds for each counter alone.
  const std::optional<uint64_t> mine = vm_drops(seen);
  const std::string note = note_for(seen, mine);
  for (StatsComparison& c : out) {
    c.vm_drops = mine;
    if (!c.exact()) c.note = note;
  }
  return out;
}

}  // namespace dirtyscope
