// Pieces every `dirtyscope report` view shares: the input check, sizes as
// people write them, gnuplot block names.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dirtyscope/json_value.hpp"

namespace dirtyscope::tools {

// Calls `visit(config, mode)` for each mode that ran ("ok") in dirty_log_perf
// --json text; skipped and failed modes are left out. Throws
// std::runtime_error naming `name` when the text is not such a file or a
// key `visit` asks for is missing.
void for_each_ran_mode(const std::string& json, const std::string& name,
                       const std::function<void(const JsonValue& config, const JsonValue& mode)>& visit);
// Each mode named in `seen` once, in the order every view prints them:
// dirty-log, clear-log, dirty-ring first, then the others as first seen.
std::vector<std::string> ordered_modes(const std::vector<std::string>& seen);
// 268435456 -> "256M", 4294967296 -> "4G".
std::string size_text(double bytes);
// A gnuplot datablock name for one panel's line of one mode ("$size_dirty_log").
std::string gnuplot_block(const std::string& panel, const std::string& mode);

}  // namespace dirtyscope::tools
