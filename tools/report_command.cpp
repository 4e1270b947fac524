// `dirtyscope report`: dirty_log_perf --json files -> a table of median
// collection cost per mode, and optionally a plot (gnuplot) against memory
// size and dirty fraction that shows where bitmap and ring cross over.
// dirtyscope migrate --json files -> medians per configuration and mode,
// ring/bitmap ratios, and a plot of convergence per round.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "command_args.hpp"
#include "commands.hpp"
#include "report_data.hpp"
#include "report_migrate.hpp"
#include "report_plot.hpp"
#include "report_scale.hpp"
#include "report_scale_plot.hpp"

namespace dirtyscope::tools {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// dirtyscope migrate --json files: medians, ring/bitmap, convergence plot.
int migrate_report(const ReportArgs& args) {
  std::vector<MigrationRun> runs;
  for (const std::string& file : args.files) {
    const std::string json = read_file(file);
    if (!is_migrate_json(json)) throw UsageError(file + ": not a dirtyscope migrate --json file (do not mix with dirty_log_perf's)");
    auto more = parse_migration_runs(json, file);
    runs.insert(runs.end(), more.begin(), more.end());
  }
  if (runs.empty()) {
    std::fprintf(stderr, "dirtyscope report: no migration passed in the given files\n");
    return kFailure;
  }
  std::fputs(migration_table(runs).c_str(), stdout);
  if (args.plot.empty()) return kOk;
  try {
    run_gnuplot(convergence_script(runs, args.plot), args.plot);
  } catch (const PlotUnavailable& e) {
    std::fprintf(stderr, "dirtyscope report: %s\n", e.what());
    return kUnavailable;
  }
  std::printf("plot: %s\n", args.plot.c_str());
  return kOk;
}

// --fit: the scale sweep's points, per-mode fits and four-panel plot.
int scale_report(const ReportArgs& args) {
  std::vector<ScaleRun> runs;
  for (const std::string& file : args.files) {
    auto more = parse_scale_runs(read_file(file), file);
    runs.insert(runs.end(), more.begin(), more.end());
  }
  if (runs.empty()) {
    std::fprintf(stderr, "dirtyscope report: no mode ran in the given files (all skipped or failed)\n");
    return kFailure;
  }
  const std::vector<ScaleFit> fits = fit_scale(runs);
  std::fputs(scale_points_table(runs).c_str(), stdout);
  std::fputs("\n", stdout);
  std::fputs(scale_fit_table(fits).c_str(), stdout);
  if (!args.json.empty()) {
    std::ofstream out(args.json);
    out << scale_fit_json(fits);
    if (!out.flush()) throw std::runtime_error(args.json + ": cannot write");
    std::printf("fit: %s\n", args.json.c_str());
  }
  if (args.plot.empty()) return kOk;
  try {
    run_gnuplot(scale_gnuplot_script(runs, args.plot), args.plot);
  } catch (const PlotUnavailable& e) {
    std::fprintf(stderr, "dirtyscope report: %s\n", e.what());
    return kUnavailable;
  }
  std::printf("plot: %s\n", args.plot.c_str());
  return kOk;
}

}  // namespace

int report_main(int argc, char** argv) {
  ReportArgs args;
  if (!parse_report_args(argc, argv, args)) return kOk;
  if (!args.files.empty() && is_migrate_json(read_file(args.files.front()))) {
    if (args.fit) throw UsageError("--fit: for dirty_log_perf --json files, not dirtyscope migrate's");
    return migrate_report(args);
  }
  if (args.fit) return scale_report(args);

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
