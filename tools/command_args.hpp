// The command-line parsing of the `dirtyscope` subcommands, apart from
// running them, so unit tests and the option fuzzer (fuzz/) can call it
// without opening BPF programs or sockets.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

#include "dirtyscope/stats/bpf_stats_source.hpp"  // AttachMode

namespace dirtyscope::tools {

struct StatsArgs {
  double interval_s = 1.0;
  pid_t pid = 0;
  bool once = false;
  bool json = false;
  bool cumulative = false;  // --cumulative: batches count since start, not per interval
  stats::AttachMode mode = stats::AttachMode::Auto;
  bool mode_given = false;
  std::string source = "auto";  // kmod, bpf or auto
};

// `dirtyscope stats` (argv[0] is "stats"). Returns false when --help was
// printed; throws UsageError naming the bad flag or value.
bool parse_stats_args(int argc, char** argv, StatsArgs& a);

struct ReportArgs {
  std::string plot;                // -o; empty: no plot
  bool fit = false;                // --fit: the scale sweep's fits and curves
  std::string json;                // --json with --fit: the fits as JSON
  std::vector<std::string> files;  // the dirty_log_perf --json inputs
};

// `dirtyscope report` (argv[0] is "report"). Returns false when --help was
// printed; throws UsageError.
bool parse_report_args(int argc, char** argv, ReportArgs& a);
void report_usage(std::FILE* out);

}  // namespace dirtyscope::tools
