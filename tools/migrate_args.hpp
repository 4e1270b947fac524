// `dirtyscope migrate`'s command line (its own file so the option fuzzer
// and unit tests can parse without running anything).
#pragma once

#include <string>
#include <vector>

#include "dirtyscope/migrate/migrate_options.hpp"

namespace dirtyscope::tools {

struct MigrateArgs {
  std::vector<std::string> modes;  // -M, "all" expanded
  // -M all with --inject: the modes the fault cannot act in, not run.
  std::vector<std::string> left_out;
  migrate::MigrateOptions options;
  uint64_t seed = 1;
  std::string json_path;  // --json FILE; "-" = stdout
  std::string plot_path;  // --plot FILE
  bool help = false;
};

// Throws tools::UsageError naming the bad flag or value.
MigrateArgs parse_migrate_args(int argc, char** argv);
extern const char* const kMigrateHelp;

}  // namespace dirtyscope::tools
