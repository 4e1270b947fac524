// Text rendering of DirtyStats for `dirtyscope stats`, in the spirit of
// kvm_stat: per VM, the total since start and the rate over the last
// interval, then per-vCPU rows and ioctl latency percentiles.
#pragma once

#include <string>

#include "dirtyscope/stats/dirty_stats.hpp"

namespace dirtyscope::tools {

struct ViewHeader {
  std::string source;   // "bpf (tp_btf)"
  double interval_s = 1;
  pid_t pid_filter = 0;
};

std::string render_stats(const ViewHeader& header, const stats::DirtyStats& total,
                         const stats::DirtyStats& interval);

// "812ns", "12.3us", "4.1ms", "-" for no samples.
std::string format_ns(std::optional<double> ns);

}  // namespace dirtyscope::tools
