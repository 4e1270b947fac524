// --stats: what a statistics source (BPF or the kernel module) saw during
// one dirty_log_test mode must agree exactly with what the run itself did.
#pragma once

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
  bool agrees() const { return seen == expected; }
  std::string describe() const;  // "bpf.ring_pushes 3635 == 3635 ring entries harvested"
};

// `seen` is the source's delta over the mode (VM built .. VM done), already
// narrowed to this process. Which comparisons apply depends on the mode
// (ring counters only with a ring) and the source (the module has no
// ioctl latencies).
std::vector<StatsComparison> compare_stats(const stats::DirtyStats& seen, const ModeResult& run);

}  // namespace dirtyscope
