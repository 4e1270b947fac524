// The option parsers of every command, one target: word 0 names the
// command (dirty_log_test, dirty_log_perf, spp_test, or a `dirtyscope`
// subcommand: stats, report), the rest is its command line. A UsageError
// is the parser refusing bad input, as designed; any other exception,
// crash or sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <getopt.h>

#include "cli.hpp"
#include "command_args.hpp"
#include "dirty_log_test_options.hpp"
#include "dirtyscope/error.hpp"
#include "fuzz_argv.hpp"
#include "perf_options.hpp"
#include "spp_options.hpp"

namespace {

using dirtyscope::fuzz::FuzzArgv;

// spp_test's parser restarts getopt with optind = 1, which keeps glibc's
// position inside a half-read cluster (-Mx) from a parse that threw, so a
// second parse in one process would resume from the previous, freed argv.
// A command parses once per process, so this matters only here (and to
// tests): forget that state before each input, as optind = 0 does.
void reset_getopt() {
  static char name[] = "reset";
  static char* argv[] = {name, nullptr};
  optind = 0;
  (void)getopt(1, argv, "");
}

void parse(FuzzArgv& args) {
  const std::string& cmd = args.word(0);
  reset_getopt();
  try {
    if (cmd == "dirty_log_test") {
      (void)dirtyscope::parse_test_options(args.argc(), args.argv());
    } else if (cmd == "dirty_log_perf") {
      (void)dirtyscope::bench::parse_perf_options(args.argc(), args.argv());
    } else if (cmd == "spp_test") {
      (void)dirtyscope::parse_spp_options(args.argc(), args.argv());
    } else if (cmd == "stats") {
      dirtyscope::tools::StatsArgs a;
      (void)dirtyscope::tools::parse_stats_args(args.argc(), args.argv(), a);
    } else if (cmd == "report") {
      dirtyscope::tools::ReportArgs a;
      (void)dirtyscope::tools::parse_report_args(args.argc(), args.argv(), a);
    }
  } catch (const dirtyscope::UsageError&) {
  } catch (const dirtyscope::tools::UsageError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzArgv args(data, size);
  if (args.argc() == 0) return 0;
  parse(args);
  return 0;
}
