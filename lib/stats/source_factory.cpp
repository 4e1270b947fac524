#include "dirtyscope/stats/source_factory.hpp"

#include <stdexcept>
#include <string>

#include "dirtyscope/stats/bpf_stats_source.hpp"
#include "dirtyscope/stats/kmod_stats_source.hpp"

namespace dirtyscope::stats {

std::unique_ptr<StatsSource> make_stats_source(std::string_view which, pid_t pid) {
  if (which == "bpf") return std::make_unique<BpfStatsSource>(BpfOptions{.pid = pid});
  if (which == "kmod") return std::make_unique<KmodStatsSource>(KmodOptions{.pid = pid});
  if (which == "auto")
    return kmod_else_bpf([&] { return make_stats_source("kmod", pid); }, [&] { return make_stats_source("bpf", pid); });
  throw std::invalid_argument("unknown statistics source '" + std::string(which) + "' (bpf, kmod, auto)");
}

}  // namespace dirtyscope::stats
