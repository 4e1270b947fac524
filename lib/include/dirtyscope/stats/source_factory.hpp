// Picks a statistics source by name, for every command that has a
// --stats-source / --source flag: "bpf", "kmod", or "auto" (kmod when its
// netlink family is registered, else bpf).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string_view>

#include "dirtyscope/stats/stats_source.hpp"

namespace dirtyscope::stats {

// Throws StatsUnavailable (with the reason) when the source cannot run here,
// std::invalid_argument for an unknown name.
std::unique_ptr<StatsSource> make_stats_source(std::string_view which, pid_t pid);

}  // namespace dirtyscope::stats
