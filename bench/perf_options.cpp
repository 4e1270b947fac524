#include "perf_options.hpp"

#include <getopt.h>

#include "dirtyscope/cli_flags.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/page.hpp"
#include "dirtyscope/size_parse.hpp"

namespace dirtyscope::bench {

namespace {
enum LongOnly { kJson = 1000, kStats, kStatsSource, kInject };
const option kLongOptions[] = {
    {"json", required_argument, nullptr, kJson},
    {"stats", no_argument, nullptr, kStats},
    {"stats-source", required_argument, nullptr, kStatsSource},
    {"inject", required_argument, nullptr, kInject},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};
}  // namespace

const std::vector<std::string>& perf_modes() {
  static const std::vector<std::string> modes = {"dirty-log", "clear-log", "dirty-ring"};
  return modes;
}

std::string perf_usage(const char* argv0) {
  std::string backings;
  for (const auto& b : all_backings()) backings += std::string("             ") + b.name + ": " + b.description + "\n";
  return std::string("usage: ") + argv0 +
         " [-h] [-M MODE|all] [-i iterations] [-p offset] [-g] [-m mode]\n"
         "       [-b vcpu bytes] [-v vcpus] [-o] [-e] [-f N] [-s mem type] [-x memslots]\n"
         "       [-c ring entries] [-u 0|3] [--json FILE] [--stats [--stats-source S]]\n"
         "       [--inject drop-dirty]\n\n"
         "Times KVM's dirty-tracking interfaces under one workload, side by side.\n"
         "Options and their meanings follow the kernel's dirty_log_perf_test.\n"
         "Each vCPU first touches all its memory (populate), logging is enabled,\n"
         "then per iteration every vCPU writes one word to each page of its\n"
         "region (dirty) and the mode collects what KVM reports (collect).\n"
         "Every collection must be exactly the pages the pass wrote (all pages\n"
         "in the first with KVM_DIRTY_LOG_INITIALLY_SET), else the mode fails.\n"
         "Exit 0 ok, 1 failure, 2 usage error, 4 every mode skipped.\n\n"
         " -M MODE  dirty-log (KVM_GET_DIRTY_LOG), clear-log (GET + one\n"
         "          KVM_CLEAR_DIRTY_LOG per slot), dirty-ring (harvest +\n"
         "          KVM_RESET_DIRTY_RINGS), or all (default)\n"
         " -i N     iterations, at least 2 (default 2)\n"
         " -g       do not enable KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: clear-log then\n"
         "          runs as KVM_GET_DIRTY_LOG alone, as the kernel test does with -g\n"
         " -p GPA   guest physical address of test memory, 2 MiB aligned\n"
         "          (default 0x100000000)\n"
         " -m MODE  guest mode; x86-64 has one: 0 = PA-bits:ANY, VA-bits:48, 4K\n"
         " -b SIZE  memory each vCPU dirties, K/M/G suffixes (default 1G)\n"
         " -v N     vCPUs (default 1)\n"
         " -o       overlap: every vCPU touches all memory instead of its own part\n"
         " -e       keep vCPUs running while dirty logging is being disabled\n"
         " -f N     write 1/N of the pages, read the others (default 1)\n"
         " -s TYPE  backing of test memory (default anonymous):\n" + backings +
         " -x N     memslots the memory is split into (default 1)\n"
         " -c N     dirty ring entries per vCPU, a power of two within KVM's limits\n"
         "          (default 65536)\n"
         " -u CPL   guest privilege: 3 (default) or 0. At CPL0 a PVM host (kvm_pvm)\n"
         "          can overrun a ring that reaches soft-full (docs/findings.md)\n"
         " --json F also write every number as JSON to F\n"
         " --stats  also count each mode with a statistics source (BPF tracepoints or\n"
         "          dirtyscope.ko): pushes, resets, write faults, ioctls, in output and JSON\n"
         " --stats-source S  bpf, kmod or auto (default)\n"
         " --inject drop-dirty  drop one collected page per pass: the run must fail;\n"
         "          it acts in every mode, and a run with no page to drop fails too\n\n"
         "examples:\n  " + argv0 + " -b 256M -i 3\n  " + argv0 + " -M dirty-ring -b 1G -f 16 --json out.json\n";
}

PerfOptions parse_perf_options(int argc, char** argv) {
  PerfOptions o;
  std::string mode = "all";
  optind = 0;  // restartable: unit tests parse several command lines
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":hM:i:p:gm:b:v:oef:s:x:c:u:", kLongOptions, nullptr)) != -1) {
    const std::string arg = optarg ? optarg : "";
    switch (c) {
      case 'h': o.help = true; break;
      case 'M': mode = arg; break;
      case 'i': {
        uint64_t n = parse_uint("-i", arg, 0, 1000000);
        if (n < 2) throw UsageError("-i: " + arg + " iterations; the test needs at least 2");
        o.iterations = static_cast<uint32_t>(n);
        break;
      }
      case 'p': o.gpa = parse_gpa_flag(arg); break;
      case 'g': o.manual_protect = false; break;
      case 'm': parse_guest_mode_flag(arg); break;
      case 'b': o.bytes_per_vcpu = parse_size("-b", arg); break;
      case 'v': o.vcpus = static_cast<uint32_t>(parse_uint("-v", arg, 1, DS_MAX_VCPUS)); break;
      case 'o': o.overlap = true; break;
      case 'e': o.run_while_disabling = true; break;
      case 'f': o.write_fraction = parse_uint("-f", arg, 1, 1ULL << 40); break;
      case 's': o.backing = parse_backing_flag(arg); break;
      case 'x': o.memslots = static_cast<uint32_t>(parse_uint("-x", arg, 1, 256)); break;
      case 'c': o.ring_entries = parse_ring_entries_flag(arg); break;
      case 'u': o.cpl = parse_cpl_flag(arg); break;
      case kJson: o.json_path = arg; break;
      case kStats:
        if (!o.stats_source) o.stats_source = "auto";
        break;
      case kStatsSource: o.stats_source = parse_stats_source_flag(arg); break;
      case kInject:
        if (arg != "drop-dirty") throw UsageError("--inject: '" + arg + "' unknown here (dirty_log_perf has drop-dirty)");
        o.inject_drop_dirty = true;
        break;
      default: throw_getopt_error(c, argv);
    }
  }
  reject_positional_args(argc, argv);

  if (mode == "all") {
    o.modes = perf_modes();
  } else {
    bool known = false;
    for (const auto& m : perf_modes()) known = known || m == mode;
    if (!known) throw UsageError("-M: unknown mode '" + mode + "' (known: dirty-log, clear-log, dirty-ring, all)");
    o.modes = {mode};
  }

  if (o.bytes_per_vcpu == 0 || o.bytes_per_vcpu % kPageSize)
    throw UsageError("-b: " + format_size(o.bytes_per_vcpu) + " per vCPU is not a non-zero multiple of 4K");
  if (o.total_bytes() / o.vcpus != o.bytes_per_vcpu)
    throw UsageError("-b/-v: " + std::to_string(o.vcpus) + " x " + format_size(o.bytes_per_vcpu) + " overflows");
  const uint64_t unit = backing_alignment(o.backing) * o.memslots;
  if (o.total_bytes() % unit)
    throw UsageError("-b/-v/-x: test memory " + format_size(o.total_bytes()) + " must be a multiple of " +
                     format_size(unit) + " (" + std::to_string(o.memslots) + " memslot(s) of " +
                     backing_name(o.backing) + " memory)");
  return o;
}

}  // namespace dirtyscope::bench
