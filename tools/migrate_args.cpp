#include "migrate_args.hpp"

#include <getopt.h>

#include "cli.hpp"
#include "dirtyscope/cli_flags.hpp"
#include "dirtyscope/collector.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/size_parse.hpp"

namespace dirtyscope::tools {

const char* const kMigrateHelp =
    "USAGE: dirtyscope migrate [OPTIONS]\n"
    "\n"
    "Pre-copy live migration of a running guest into a second process, once per\n"
    "dirty-tracking mode: round 0 sends all memory, each later round what the\n"
    "mode's collector reported, then stop-and-copy sends the rest and the vCPUs'\n"
    "state. SHA-256 of every page on both sides must match, and the destination\n"
    "VM is resumed: its guest checks its own write counters and writes on.\n"
    "\n"
    "OPTIONS:\n"
    "  -M MODES         dirty-log, clear-log, dirty-ring, dirty-ring-wait,\n"
    "                   ring-with-bitmap, a comma-separated list, or all (default)\n"
    "  -b SIZE          test memory (default 64M)\n"
    "  -v N             vCPUs (default 2); each owns an equal share of the memory\n"
    "  -u 0|3           guest privilege level (default 3)\n"
    "  -x N             test memslots (default 1)\n"
    "  -s BACKING       anonymous (default), anonymous_thp, anonymous_hugetlb, shmem, ...\n"
    "  -c N             dirty ring entries per vCPU (default: the mode's)\n"
    "  --hot-pages N    pages each vCPU writes every period (default 16)\n"
    "  --dirty-pages N  pages each vCPU writes in order per period, dirtyram's D (default 256)\n"
    "  --random-pages N pseudo-random pages per period (default 64)\n"
    "  --pause-ms MS    wait after each period, dirtyram's sleep (default 1)\n"
    "  --threshold N    stop-and-copy once a round collects at most N pages (default 512)\n"
    "  --max-rounds N   ... or after N live rounds (default 30)\n"
    "  --bandwidth MBPS cap the page stream at MBPS MB/s (default: unlimited)\n"
    "  --reaper         ring modes: a thread harvests every 10 ms while rounds send,\n"
    "                   like QEMU's dirty ring reaper\n"
    "  --log-from-start memslots log from creation (default: the guest writes every\n"
    "                   page with logging off, then logging starts under it)\n"
    "  --inject FAULT   drop-page, skip-round, skip-reset, corrupt-page: a negative\n"
    "                   twin; the checksums must differ and the pages be named.\n"
    "                   skip-reset acts in the ring modes only: naming another mode\n"
    "                   is a usage error, and -M all runs only the ring modes. A\n"
    "                   fault that found nothing to act on fails the mode\n"
    "  --seed N         workload seed (default 1); mixed with the mode's name\n"
    "  --stall-timeout S  fail when the guest makes no progress for S s (default 60)\n"
    "  --json FILE      results as JSON (- for stdout)\n"
    "  --plot FILE      remaining dirty pages per round, a line per mode (.png/.svg;\n"
    "                   gnuplot); dirtyscope report plots many runs' JSON\n"
    "\n"
    "EXIT STATUS: 0 every mode migrated intact, 1 a failure, 2 usage error,\n"
    "4 every mode skipped (the reason names the missing capability).\n";

namespace {

// "all", one mode, or a comma-separated list (a benchmark's bitmap and ring).
std::vector<std::string> parse_modes(const std::string& arg) {
  std::vector<std::string> modes;
  if (arg == "all") {
    for (const auto& m : all_modes()) modes.push_back(m.name);
    return modes;
  }
  size_t from = 0;
  for (;;) {
    const size_t comma = arg.find(',', from);
    const std::string m = arg.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    if (!is_mode(m)) throw UsageError("-M: unknown mode '" + m + "'");
    modes.push_back(m);
    if (comma == std::string::npos) return modes;
    from = comma + 1;
  }
}

MigrateArgs parse(int argc, char** argv) {
  enum { kHot = 1000, kDirty, kRandom, kPause, kThreshold, kMaxRounds, kBandwidth, kInject, kSeed, kJson, kStall, kPlot, kReaper, kLogFromStart };
  static const option longs[] = {
      {"hot-pages", required_argument, nullptr, kHot},     {"dirty-pages", required_argument, nullptr, kDirty},
      {"random-pages", required_argument, nullptr, kRandom}, {"pause-ms", required_argument, nullptr, kPause},
      {"threshold", required_argument, nullptr, kThreshold}, {"max-rounds", required_argument, nullptr, kMaxRounds},
      {"bandwidth", required_argument, nullptr, kBandwidth}, {"inject", required_argument, nullptr, kInject},
      {"seed", required_argument, nullptr, kSeed},           {"json", required_argument, nullptr, kJson},
      {"stall-timeout", required_argument, nullptr, kStall}, {"plot", required_argument, nullptr, kPlot},
      {"reaper", no_argument, nullptr, kReaper},             {"log-from-start", no_argument, nullptr, kLogFromStart},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0}};
  MigrateArgs a;
  a.modes = parse_modes("all");
  bool all_modes_asked = true;
  a.options.guest.test_size = 64ULL << 20;
  a.options.guest.vcpus = 2;
  opterr = 0;
  optind = 0;  // restartable: see command_args.cpp
  int c;
  while ((c = getopt_long(argc, argv, ":M:b:v:u:x:s:c:h", longs, nullptr)) != -1) {
    switch (c) {
      case 'M':
        a.modes = parse_modes(optarg);
        all_modes_asked = std::string(optarg) == "all";
        break;
      case 'b': a.options.guest.test_size = parse_size("-b", optarg); break;
      case 'v': a.options.guest.vcpus = static_cast<uint32_t>(parse_uint("-v", optarg, 1, DS_MAX_VCPUS)); break;
      case 'u': a.options.guest.cpl = parse_cpl_flag(optarg); break;
      case 'x': a.options.guest.memslots = static_cast<uint32_t>(parse_uint("-x", optarg, 1, 64)); break;
      case 's': a.options.guest.backing = parse_backing_flag(optarg); break;
      case 'c': a.options.ring_entries = parse_ring_entries_flag(optarg); break;
      case kHot: a.options.workload.hot_pages = parse_uint("--hot-pages", optarg, 0, 1ULL << 32); break;
      case kDirty: a.options.workload.dirty_pages = parse_uint("--dirty-pages", optarg, 0, 1ULL << 32); break;
      case kRandom: a.options.workload.random_pages = parse_uint("--random-pages", optarg, 0, 1ULL << 32); break;
      case kPause: a.options.workload.pause_ms = parse_seconds("--pause-ms", optarg, 0, 10000); break;
      case kThreshold: a.options.threshold_pages = parse_uint("--threshold", optarg, 0, 1ULL << 40); break;
      case kMaxRounds: a.options.max_rounds = static_cast<uint32_t>(parse_uint("--max-rounds", optarg, 1, 100000)); break;
      case kBandwidth: a.options.bandwidth_mbps = parse_seconds("--bandwidth", optarg, 0, 1e6); break;
      case kInject: {
        auto i = migrate::parse_migrate_injection(optarg);
        if (!i) throw UsageError(std::string("--inject: unknown fault '") + optarg + "'");
        a.options.injection = *i;
        break;
      }
      case kSeed: a.seed = parse_uint("--seed", optarg, 0, UINT64_MAX); break;
      case kJson: a.json_path = optarg; break;
      case kPlot: a.plot_path = optarg; break;
      case kReaper: a.options.reaper = true; break;
      case kLogFromStart: a.options.log_from_start = true; break;
      case kStall:
        a.options.stall_timeout =
            std::chrono::milliseconds(static_cast<long>(parse_seconds("--stall-timeout", optarg, 1, 3600) * 1000));
        break;
      case 'h': a.help = true; return a;
      default: throw_getopt_error(c, argv);
    }
  }
  reject_positional_args(argc, argv);
  // Before /dev/kvm is opened: a mode named on the command line that the
  // fault cannot act in is a usage error; -M all runs only those it can.
  std::vector<std::string> kept;
  for (const std::string& m : a.modes) {
    if (migrate::migrate_injection_applies(m, a.options.injection))
      kept.push_back(m);
    else if (!all_modes_asked)
      throw UsageError(migrate::migrate_injection_inapplicable(m, a.options.injection));
    else
      a.left_out.push_back(m);
  }
  a.modes = std::move(kept);
  if (a.options.guest.test_size / 4096 < a.options.guest.vcpus)
    throw UsageError("-b: " + format_size(a.options.guest.test_size) + " is less than a page per vCPU");
  return a;
}

}  // namespace

MigrateArgs parse_migrate_args(int argc, char** argv) {
  try {
    return parse(argc, argv);
  } catch (const dirtyscope::UsageError& e) {
    throw tools::UsageError(e.what());  // the tool's usage errors exit 2
  }
}

}  // namespace dirtyscope::tools
