// What dirty_log_perf prints at the end (the side-by-side table) and
// writes with --json. The JSON key names are a contract (bench/README.md).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "perf_options.hpp"
#include "perf_runner.hpp"

namespace dirtyscope::bench {

// One line describing the run's configuration.
std::string describe_config(const PerfOptions& o);
// The modes side by side: medians over iterations, ratios against dirty-log.
std::string side_by_side_table(const PerfOptions& o, const std::vector<PerfModeResult>& results);
void write_perf_json(std::ostream& out, const PerfOptions& o, const std::vector<PerfModeResult>& results);

}  // namespace dirtyscope::bench
