// --stats: what a statistics source (BPF or the kernel module) saw during
// one dirty_log_test mode must agree exactly with what the run itself did.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dirtyscope/mode_runner.hpp"
#include "dirtyscope/stats/dirty_stats.hpp"

namespace dirtyscope {

struct StatsComparison {
  std::string what;   // "bpf.ring_pushes"
  uint64_t seen;      // by the statistics source
  uint64_t expected;  // from the run's own counts
  std::string basis;  // "ring entries harvested"
  // Events the source counted as dropped for this VM over the window;
  // nullopt when it counts no drops per VM (BPF, or a module too old).
  std::optional<uint64_t> vm_drops = {};
  // Why a mismatch is not excused beyond the numbers themselves: drops
  // known only module-wide, a reset by another reader. Empty if none.
  std::string note = {};

  bool exact() const { return seen == expected; }
  // A dropped event can only make the source see less, and at most one
  // count less per drop: seen <= expected <= seen + this VM's drops.
  bool excused() const { return !exact() && vm_drops && seen <= expected && expected - seen <= *vm_drops; }
  bool agrees() const { return exact() || excused(); }
  // "bpf.ring_pushes 3635 == 3635 ring entries harvested"; a mismatch ends
  // in why it is or is not excused: "(excused: 3 missing, this VM dropped
  // 3 events)", "(not excused: 2 more than the run did; drops only lose
  // counts)".
  std::string describe() const;
};

// `seen` is the source's delta over the mode (VM built .. VM done), already
// narrowed to this process (stats::StatsWindow::close): its VMs' drops are
// this VM's; DirtyStats::drops is module-wide and excuses nothing. Which
// comparisons apply depends on the mode (ring counters only with a ring)
// and the source (the module has no ioctl latencies).
std::vector<StatsComparison> compare_stats(const stats::DirtyStats& seen, const ModeResult& run);

}  // namespace dirtyscope
