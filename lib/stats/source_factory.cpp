#include "dirtyscope/stats/source_factory.hpp"

#include <stdexcept>
#include <string>

#include "dirtyscope/stats/bpf_stats_source.hpp"

namespace dirtyscope::stats {

std::unique_ptr<StatsSource> make_stats_source(std::string_view which, pid_t pid) {
  if (which == "bpf" || which == "auto") return std::make_unique<BpfStatsSource>(BpfOptions{.pid = pid});
  if (which == "kmod")
    throw StatsUnavailable("the kmod statistics source is not built into this binary");
  throw std::invalid_argument("unknown statistics source '" + std::string(which) + "' (bpf, kmod, auto)");
}

}  // namespace dirtyscope::stats
