// The subcommands of `dirtyscope`. Each takes argv starting at its own
// name, returns an exit code (cli.hpp) and throws UsageError for bad input.
#pragma once

namespace dirtyscope::tools {

int stats_main(int argc, char** argv);
int report_main(int argc, char** argv);
int migrate_main(int argc, char** argv);

}  // namespace dirtyscope::tools
