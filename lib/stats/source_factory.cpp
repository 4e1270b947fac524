#include "dirtyscope/stats/source_factory.hpp"

#include <stdexcept>
#include <string>

#include "dirtyscope/stats/bpf_stats_source.hpp"
#include "dirtyscope/stats/kmod_stats_source.hpp"

namespace dirtyscope::stats {

std::unique_ptr<StatsSource> make_stats_source(std::string_view which, pid_t pid) {
  if (which == "bpf") return std::make_unique<BpfStatsSource>(BpfOptions{.pid = pid});
  if (which == "kmod") return std::make_unique<KmodStatsSource>(KmodOptions{.pid = pid});
  if (which == "auto") {
    // The module when its family is registered (no privilege, no programs
    // to load), else BPF. If neither can run, the reason names both.
    std::string kmod_why;
    try {
      return std::make_unique<KmodStatsSource>(KmodOptions{.pid = pid});
    } catch (const StatsUnavailable& e) {
      kmod_why = e.what();
    }
    try {
      return std::make_unique<BpfStatsSource>(BpfOptions{.pid = pid});
    } catch (const StatsUnavailable& e) {
      throw StatsUnavailable("bpf: " + std::string(e.what()) + "; kmod: " + kmod_why);
    }
  }
  throw std::invalid_argument("unknown statistics source '" + std::string(which) + "' (bpf, kmod, auto)");
}

}  // namespace dirtyscope::stats
