// Command line of dirty_log_test: the kernel selftest's flags plus ours.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dirtyscope/mode_runner.hpp"

namespace dirtyscope {

struct TestOptions {
  std::vector<std::string> modes;  // expanded from -M (default: all)
  // -M all with --inject: the modes that cannot do the fault, not run.
  std::vector<std::string> left_out;
  RunOptions run;                  // shared by every mode
  std::optional<std::string> json_path;
  std::optional<std::string> stats_source;  // --stats [--stats-source NAME]
  bool help = false;
};

// Throws UsageError with a one-line message naming the bad value.
TestOptions parse_test_options(int argc, char** argv);
std::string test_usage(const char* argv0);

}  // namespace dirtyscope
