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
  // Why the source says its counts over the window are not exact
  // ("inexact: 3 events dropped"), or empty: then they must be.
  std::string inexact = {};
  bool exact() const { return seen == expected; }
  // Equal, or not equal for a reason the source itself reported: a
  // mismatch the source explains is not a failure of the run.
  bool agrees() const { return exact() || !inexact.empty(); }
  // "bpf.ring_pushes 3635 == 3635 ring entries harvested"; a mismatch with
  // a reason ends in "(inexact: 3 events dropped)".
  std::string describe() const;
};

// Why `seen` says it is not exact: "inexact: N events dropped" when the
// source dropped events over the window (module-wide, else the VMs'), else
// "inexact: <its first note>" (e.g. a reset by another reader); empty if
// it claims exact counts.
std::string inexact_reason(const stats::DirtyStats& seen);

// `seen` is the source's delta over the mode (VM built .. VM done), already
// narrowed to this process. Which comparisons apply depends on the mode
// (ring counters only with a ring) and the source (the module has no
// ioctl latencies). A mismatch comes with inexact_reason(seen), if any.
std::vector<StatsComparison> compare_stats(const stats::DirtyStats& seen, const ModeResult& run);

}  // namespace dirtyscope
