// `dirtyscope report`'s input: dirty_log_perf --json files reduced to one
// point per (file, mode): memory size, dirty fraction and median
// collection cost. Pure data, so it is unit-testable without gnuplot.
#pragma once

#include <string>
#include <vector>

namespace dirtyscope::tools {

struct ReportPoint {
  std::string file;
  std::string mode;            // dirty-log, clear-log, dirty-ring
  double total_bytes = 0;      // guest memory under test
  double write_fraction = 1;   // -f: 1/N of the pages written per iteration
  double pages = 0;            // total pages
  double pages_collected = 0;  // median per iteration
  double collect_ns = 0;       // median per iteration
  double collect_kernel_ns = 0;
  double collect_user_ns = 0;
  // Share of memory dirtied per iteration, in percent (100 / -f).
  double dirty_percent() const { return 100.0 / write_fraction; }
};

// Reads one dirty_log_perf JSON file. Modes that did not run ("skip",
// "fail") are left out. Throws std::runtime_error naming the file and what
// is wrong with it.
std::vector<ReportPoint> load_report_points(const std::string& path);
// The same from text already read (for tests).
std::vector<ReportPoint> parse_report_points(const std::string& json, const std::string& name);

// The text table: one row per (size, -f), a column per mode with its
// median collect time, and each mode's ratio to dirty-log.
std::string report_table(const std::vector<ReportPoint>& points);

}  // namespace dirtyscope::tools
