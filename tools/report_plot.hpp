// `dirtyscope report`'s plot: collection cost against memory size and
// against dirty fraction, one line per mode, so the bitmap/ring crossover
// is visible. Rendered by gnuplot (Debian: gnuplot-nox) as PNG or SVG.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "report_data.hpp"

namespace dirtyscope::tools {

// gnuplot is not installed: the table still prints, the plot cannot.
class PlotUnavailable : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The gnuplot program for `points`, writing `output` (.svg: SVG, else PNG).
// Data is inline, so the script is all gnuplot needs.
std::string gnuplot_script(const std::vector<ReportPoint>& points, const std::string& output);
// Runs gnuplot on gnuplot_script(). Throws PlotUnavailable without gnuplot,
// std::runtime_error when gnuplot fails.
void make_plot(const std::vector<ReportPoint>& points, const std::string& output);
// Runs gnuplot on any script that writes `output` (same errors).
void run_gnuplot(const std::string& script, const std::string& output);

}  // namespace dirtyscope::tools
