// JSON form of DirtyStats. Key names are a contract (scripts and the
// selftests' --stats output read them): "<source>.ring_pushes",
// "<source>.ring_resets", "<source>.ring_full_exits", "<source>.page_faults",
// "<source>.fast_page_faults", "<source>.set_spte", "<source>.occupancy_hwm",
// "<source>.ioctl_count", "<source>.ioctl". Add keys; never rename them.
#pragma once

#include <string>

#include "dirtyscope/stats/dirty_stats.hpp"

namespace dirtyscope::stats {

// One JSON object, no trailing newline. `indent` > 0 pretty-prints.
std::string to_json(const DirtyStats& stats, int indent = 0);

}  // namespace dirtyscope::stats
