// `dirtyscope report --fit -o PLOT`: the scale sweep's four curves, one
// panel each (memory, dirty pages, vCPUs, memslots), one line per mode.
#pragma once

#include <string>
#include <vector>

#include "report_scale.hpp"

namespace dirtyscope::tools {

// The gnuplot program (data inline) writing `output` (.svg: SVG, else PNG).
// A panel shows the runs that differ from one vCPU, one slot and every
// page dirty only in its own quantity; for dirty pages, vCPUs and slots,
// at the size (or size per vCPU) where that quantity took most values.
std::string scale_gnuplot_script(const std::vector<ScaleRun>& runs, const std::string& output);

}  // namespace dirtyscope::tools
