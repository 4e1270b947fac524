// `dirtyscope`: dispatches to a subcommand. Other subcommands (caps,
// migrate, report) join the table as they are written.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

#include "cli.hpp"
#include "commands.hpp"

namespace {

using dirtyscope::tools::Exit;

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int, char**);
};

constexpr Command kCommands[] = {
    {"stats", "live dirty-tracking statistics of running VMs (like kvm_stat)",
     dirtyscope::tools::stats_main},
    {"report", "tables and a bitmap-vs-ring plot from dirty_log_perf --json files",
     dirtyscope::tools::report_main},
    {"migrate", "pre-copy live migration per mode, SHA-256 of both sides, resumed destination",
     dirtyscope::tools::migrate_main},
};

void usage(std::FILE* out) {
  std::fputs(
      "USAGE: dirtyscope COMMAND [OPTIONS]\n"
      "       dirtyscope COMMAND --help\n"
      "\n"
      "KVM dirty-page tracking toolkit.\n"
      "\n"
      "COMMANDS:\n",
      out);
  for (const Command& c : kCommands) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
  std::fputs(
      "\n"
      "EXIT STATUS: 0 ok, 1 failure, 2 usage error, 4 cannot run here (e.g. no privilege).\n"
      "\n"
      "EXAMPLES:\n"
      "  dirtyscope stats                 # every VM on the host, refreshed each second\n"
      "  dirtyscope stats -p 1234 -i 2    # one QEMU, every 2 seconds\n"
      "  dirtyscope stats -1 --json       # one batch as JSON, then exit\n"
      "  dirtyscope report -o plot.png build/bench/*.json   # bitmap vs ring\n"
      "  dirtyscope migrate -M all -b 64M # migrate a running guest in every mode\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return Exit::kUsage;
  }
  const std::string_view first = argv[1];
  if (first == "-h" || first == "--help" || first == "help") {
    usage(stdout);
    return Exit::kOk;
  }
  for (const Command& c : kCommands) {
    if (first != c.name) continue;
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const dirtyscope::tools::UsageError& e) {
      std::fprintf(stderr, "dirtyscope %s: %s (see dirtyscope %s --help)\n", c.name, e.what(), c.name);
      return Exit::kUsage;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "dirtyscope %s: %s\n", c.name, e.what());
      return Exit::kFailure;
    }
  }
  std::fprintf(stderr, "dirtyscope: unknown command '%s' (see dirtyscope --help)\n", argv[1]);
  return Exit::kUsage;
}
