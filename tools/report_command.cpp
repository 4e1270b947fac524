// `dirtyscope report`: dirty_log_perf --json files -> a table of median
// collection cost per mode, and optionally a plot (gnuplot) against memory
// size and dirty fraction that shows where bitmap and ring cross over.
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "command_args.hpp"
#include "commands.hpp"
#include "report_data.hpp"
#include "report_plot.hpp"

namespace dirtyscope::tools {

int report_main(int argc, char** argv) {
  ReportArgs args;
  if (!parse_report_args(argc, argv, args)) return kOk;

  std::vector<ReportPoint> points;
  for (const std::string& file : args.files) {
    auto more = load_report_points(file);
    points.insert(points.end(), more.begin(), more.end());
  }
  if (points.empty()) {
    std::fprintf(stderr, "dirtyscope report: no mode ran in the given files (all skipped or failed)\n");
    return kFailure;
  }
  std::fputs(report_table(points).c_str(), stdout);
  if (args.plot.empty()) return kOk;
  try {
    make_plot(points, args.plot);
  } catch (const PlotUnavailable& e) {
    std::fprintf(stderr, "dirtyscope report: %s\n", e.what());
    return kUnavailable;
  }
  std::printf("plot: %s\n", args.plot.c_str());
  return kOk;
}

}  // namespace dirtyscope::tools
