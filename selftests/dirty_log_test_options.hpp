// Command line of dirty_log_test: the kernel selftest's flags plus ours.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dirtyscope/mode_runner.hpp"

namespace dirtyscope {

// With no -b, the test memory is 1 GiB plus this many 4 KiB pages, as in the
// kernel's dirty_log_test: the last (or only) memslot then ends inside a
// bitmap word, so the default run covers KVM's partial-last-word paths.
// Backings whose pages are 2 MiB keep exactly 1 GiB: their slots are whole
// 512-page groups, which can never end inside a 64-bit word.
inline constexpr uint64_t kDefaultTestSize = 1ULL << 30;
inline constexpr uint64_t kDefaultTailPages = 3;

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
