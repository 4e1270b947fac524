// Pieces every `dirtyscope report` view shares: the input check, sizes as
// people write them, gnuplot block names.
#pragma once

#include <string>

#include "dirtyscope/json_value.hpp"

namespace dirtyscope::tools {

// Throws std::runtime_error unless `doc` is dirty_log_perf --json output.
void require_dirty_log_perf(const JsonValue& doc);
// 268435456 -> "256M", 4294967296 -> "4G".
std::string size_text(double bytes);
// A gnuplot datablock name for one panel's line of one mode ("$size_dirty_log").
std::string gnuplot_block(const std::string& panel, const std::string& mode);

}  // namespace dirtyscope::tools
