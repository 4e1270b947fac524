// JSON form of DirtyStats. Key names ("<source>.ring_pushes", ...; all of
// them: docs/json-format.md) are a contract, read by scripts and the
// selftests' --stats output: add keys, never rename them.
#pragma once

#include <string>

#include "dirtyscope/stats/dirty_stats.hpp"

namespace dirtyscope::stats {

// One JSON object, no trailing newline. `indent` > 0 pretty-prints.
std::string to_json(const DirtyStats& stats, int indent = 0);

}  // namespace dirtyscope::stats
