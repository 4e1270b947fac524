// `dirtyscope report`: dirty_log_perf --json files -> a table of median
// collection cost per mode, and optionally a plot (gnuplot) against memory
// size and dirty fraction that shows where bitmap and ring cross over.
#include <getopt.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "report_data.hpp"
#include "report_plot.hpp"

namespace dirtyscope::tools {

namespace {
void report_usage(std::FILE* out) {
  std::fputs(
      "USAGE: dirtyscope report [-o PLOT.png|PLOT.svg] FILE.json...\n"
      "\n"
      "Reads dirty_log_perf --json files and prints, per memory size and write\n"
      "fraction (-f), each mode's median collection time per iteration and its\n"
      "ratio to dirty-log. With -o, also plots collection cost against memory\n"
      "size and against dirty fraction, one line per mode (gnuplot).\n"
      "\n"
      "  -o FILE   write the plot; .svg makes SVG, anything else PNG\n"
      "  -h        this help\n"
      "\n"
      "EXIT STATUS: 0 ok, 1 unreadable input or gnuplot failed, 2 usage error,\n"
      "4 plot asked for but gnuplot is not installed (the table still prints).\n"
      "\n"
      "EXAMPLE:\n"
      "  dirty_log_perf -b 1G -i 3 --json 1g.json && dirty_log_perf -b 1G -f 64 -i 3 --json 1g-f64.json\n"
      "  dirtyscope report -o crossover.png 1g.json 1g-f64.json\n",
      out);
}
}  // namespace

int report_main(int argc, char** argv) {
  static const option kLong[] = {{"help", no_argument, nullptr, 'h'}, {nullptr, 0, nullptr, 0}};
  std::string plot;
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":ho:", kLong, nullptr)) != -1) {
    switch (c) {
      case 'h': report_usage(stdout); return kOk;
      case 'o': plot = optarg; break;
      case ':': throw UsageError(std::string("option ") + argv[optind - 1] + " needs a value");
      default: throw UsageError(std::string("unknown option ") + argv[optind - 1]);
    }
  }
  if (optind >= argc) throw UsageError("no input: give one or more dirty_log_perf --json files");

  std::vector<ReportPoint> points;
  for (int i = optind; i < argc; ++i) {
    auto more = load_report_points(argv[i]);
    points.insert(points.end(), more.begin(), more.end());
  }
  if (points.empty()) {
    std::fprintf(stderr, "dirtyscope report: no mode ran in the given files (all skipped or failed)\n");
    return kFailure;
  }
  std::fputs(report_table(points).c_str(), stdout);
  if (plot.empty()) return kOk;
  try {
    make_plot(points, plot);
  } catch (const PlotUnavailable& e) {
    std::fprintf(stderr, "dirtyscope report: %s\n", e.what());
    return kUnavailable;
  }
  std::printf("plot: %s\n", plot.c_str());
  return kOk;
}

}  // namespace dirtyscope::tools
