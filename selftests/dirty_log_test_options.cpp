#include "dirty_log_test_options.hpp"

#include <getopt.h>

#include <algorithm>

#include "dirtyscope/cli_flags.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/page.hpp"
#include "dirtyscope/size_parse.hpp"
#include "dirtyscope/text_list.hpp"

namespace dirtyscope {

namespace {
enum LongOnly { kSeed = 1000, kJson, kInject, kStats, kStatsSource, kNoSweep, kNoRewrite, kSoftFull, kLogFromStart, kStallTimeout,
                kResetSignals };

const option kLongOptions[] = {
    {"seed", required_argument, nullptr, kSeed},
    {"json", required_argument, nullptr, kJson},
    {"inject", required_argument, nullptr, kInject},
    {"stats", no_argument, nullptr, kStats},
    {"stats-source", required_argument, nullptr, kStatsSource},
    {"no-sweep", no_argument, nullptr, kNoSweep},
    {"no-rewrite", no_argument, nullptr, kNoRewrite},
    {"soft-full", no_argument, nullptr, kSoftFull},
    {"log-from-start", no_argument, nullptr, kLogFromStart},
    {"stall-timeout", required_argument, nullptr, kStallTimeout},
    {"reset-signals", no_argument, nullptr, kResetSignals},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};
}  // namespace

std::string test_usage(const char* argv0) {
  std::string modes, backings;
  for (const auto& m : all_modes()) modes += std::string("    ") + m.name + ": " + m.description + "\n";
  for (const auto& b : all_backings()) backings += std::string("    ") + b.name + ": " + b.description + "\n";
  return std::string("usage: ") + argv0 +
         " [-h] [-M MODE|all] [-i iterations] [-I interval_ms] [-c ring_entries]\n"
         "       [-p gpa_offset] [-m guest_mode] [-b size] [-v vcpus] [-x memslots]\n"
         "       [-s backing] [-u 0|3] [--seed N] [--json FILE] [--inject KIND]\n"
         "       [--stats [--stats-source bpf|kmod|auto]] [--no-sweep] [--no-rewrite]\n"
         "       [--soft-full] [--log-from-start] [--stall-timeout S] [--reset-signals]\n\n"
         "Verifies that KVM reports every page the guest dirtied, in each mode.\n"
         "Output is KTAP; exit 0 pass, 1 fail, 2 usage error, 4 all skipped.\n\n"
         " -M MODE   mode to test, or 'all' (default). Modes:\n" + modes +
         " -i N      iterations (default 32)\n"
         " -I MS     interval between collections in ms (default 10)\n"
         " -c N      dirty ring entries per vCPU, a power of two within KVM's limits\n"
         "           (default 65536; 256 for dirty-ring-wait, so vCPUs fill it)\n"
         " -p GPA    guest physical address of test memory (default 0x100000000)\n"
         " -m MODE   guest mode; " + std::string(kGuestModeHelp) + "\n"
         " -b SIZE   test memory, K/M/G suffixes, used exactly (default 1G plus 3 pages,\n"
         "           so the last memslot ends inside a bitmap word; 1G for 2M backings)\n"
         " -v N      vCPUs (default 1)\n"
         " -x N      memslots the test memory is split into (default 1)\n"
         " -s TYPE   backing of test memory (default anonymous):\n" + backings +
         " -u CPL    guest privilege: " + kGuestCplHelp + "\n"
         " --seed N  seed for guest and host randomness (default 1); each mode mixes in\n"
         "           its name, so -M MODE --seed N repeats that mode of -M all --seed N\n"
         " --no-sweep    no moving window that writes every page once per run\n"
         " --no-rewrite  no rewrites of pages a collection has just reported\n"
         " --soft-full   dirty-ring: harvest only on soft-full exits; every iteration\n"
         "           waits until each vCPU has exited KVM_EXIT_DIRTY_RING_FULL\n"
         " --log-from-start  memslots log from creation (default: the guest writes\n"
         "           every page with logging off, then logging is turned on)\n"
         " --stall-timeout S  fail a mode whose vCPUs make no progress for S seconds\n"
         "           (default 60; make mutants uses less, so a wedged mutant is reported\n"
         "           before the harness's per-program limit)\n"
         " --reset-signals  ring modes: a 100 us timer signals the collecting thread\n"
         "           nonstop (no-op handler, no SA_RESTART), so KVM_RESET_DIRTY_RINGS\n"
         "           meets pending signals; EINTR is retried, a reset short of the\n"
         "           harvest fails. Other modes: usage error; -M all signals only ring modes\n"
         " --json F  also write results as JSON to F\n"
         " --inject KIND  make the collector misbehave on purpose; the run must fail:\n"
         "           drop-dirty (every mode), skip-clear (dirty-log, clear-log),\n"
         "           skip-reset, wrong-slot, hide-ring (ring modes). A mode that cannot\n"
         "           do KIND is a usage error (exit 2); -M all runs only the modes that\n"
         "           can. A fault that never fired (run too short) fails the mode\n"
         " --stats   watch each mode with a statistics source (BPF tracepoints or\n"
         "           dirtyscope.ko over netlink) and require its counts to equal the\n"
         "           run's own: ring pushes, resets, ring-full exits, ioctl calls\n"
         " --stats-source S  bpf, kmod or auto (default; kmod when loaded)\n\n"
         "examples:\n  " + argv0 + " -M dirty-log -i 6 -I 20\n  " + argv0 +
         " -M clear-log -u 0 -v 2 -x 2\n  " + argv0 + " -M dirty-log --inject drop-dirty\n";
}

TestOptions parse_test_options(int argc, char** argv) {
  TestOptions t;
  std::string mode = "all";
  optind = 0;  // restartable (unit tests parse several command lines)
  opterr = 0;
  bool size_given = false;
  int c;
  while ((c = getopt_long(argc, argv, ":hM:i:I:c:p:m:b:v:x:s:u:", kLongOptions, nullptr)) != -1) {
    const std::string arg = optarg ? optarg : "";
    switch (c) {
      case 'h': t.help = true; break;
      case 'M': mode = arg; break;
      case 'i': t.run.iterations = static_cast<uint32_t>(parse_uint("-i", arg, 1, 1000000)); break;
      case 'I': t.run.interval_ms = static_cast<uint32_t>(parse_uint("-I", arg, 1, 60000)); break;
      case 'c': t.run.ring_entries = parse_ring_entries_flag(arg); break;
      case 'p': t.run.guest.test_gpa = parse_gpa_flag(arg); break;
      case 'm': parse_guest_mode_flag(arg); break;
      case 'b':
        t.run.guest.test_size = parse_size("-b", arg);
        size_given = true;
        break;
      case 'v': t.run.guest.vcpus = static_cast<uint32_t>(parse_uint("-v", arg, 1, DS_MAX_VCPUS)); break;
      case 'x': t.run.guest.memslots = static_cast<uint32_t>(parse_uint("-x", arg, 1, 256)); break;
      case 's': t.run.guest.backing = parse_backing_flag(arg); break;
      case 'u': t.run.guest.cpl = parse_cpl_flag(arg); break;
      case kSeed: t.run.guest.seed = parse_uint("--seed", arg, 0, UINT64_MAX); break;
      case kJson: t.json_path = arg; break;
      case kStats:
        if (!t.stats_source) t.stats_source = "auto";
        break;
      case kStatsSource: t.stats_source = parse_stats_source_flag(arg); break;
      case kNoSweep: t.run.mix.sweep = false; break;
      case kNoRewrite: t.run.mix.rewrite = false; break;
      case kSoftFull: t.run.soft_full = true; break;
      case kLogFromStart: t.run.populate_first = false; break;
      case kResetSignals: t.run.reset_signals = true; break;
      case kStallTimeout:
        t.run.stall_timeout = std::chrono::seconds(parse_uint("--stall-timeout", arg, 1, 3600));
        break;
      case kInject: {
        auto inj = parse_injection(arg);
        if (!inj) throw UsageError("--inject: unknown fault '" + arg + "' (see -h)");
        t.run.injection = *inj;
        break;
      }
      default: throw_getopt_error(c, argv);
    }
  }
  reject_positional_args(argc, argv);

  if (mode == "all") {
    for (const auto& m : all_modes()) t.modes.push_back(m.name);
  } else if (is_mode(mode)) {
    t.modes.push_back(mode);
  } else {
    std::string known;
    for (const auto& m : all_modes()) append_item(known, ", ", m.name);
    throw UsageError("-M: unknown mode '" + mode + "' (known: " + known + ", all)");
  }
  // Only a ring collector issues KVM_RESET_DIRTY_RINGS; -M all signals its
  // ring modes and runs the others as usual.
  if (t.run.reset_signals && mode != "all" && !is_ring_mode(mode))
    throw UsageError("--reset-signals: mode '" + mode + "' has no dirty ring (ring modes only)");
  // --stats expects every reset call to visit every vCPU's ring; a call a
  // signal cuts short visits only some, so the counts could not agree.
  if (t.run.reset_signals && t.stats_source)
    throw UsageError("--reset-signals cannot be combined with --stats (interrupted resets visit only some rings)");
  // Decided before /dev/kvm is opened: a mode that cannot do the fault is
  // a usage error, and -M all keeps only the modes that can.
  if (t.run.injection != Injection::None) {
    std::vector<std::string> kept = modes_for_injection(t.modes, mode == "all", t.run.injection);
    for (const auto& m : t.modes)
      if (std::find(kept.begin(), kept.end(), m) == kept.end()) t.left_out.push_back(m);
    t.modes = std::move(kept);
  }

  if (!size_given) {
    t.run.guest.test_size = kDefaultTestSize;
    if (backing_alignment(t.run.guest.backing) == kPageSize) t.run.guest.test_size += kDefaultTailPages * kPageSize;
  }

  // Slots are whole backing pages; all but the last are the same size.
  const uint64_t size = t.run.guest.test_size;
  const uint64_t unit = backing_alignment(t.run.guest.backing);
  if (size == 0 || size % unit || size / unit < t.run.guest.memslots)
    throw UsageError("-b: test memory " + format_size(size) + " must be a multiple of " + format_size(unit) +
                     " and at least " + std::to_string(t.run.guest.memslots) + " of them (" +
                     std::to_string(t.run.guest.memslots) + " memslot(s) of " + backing_name(t.run.guest.backing) +
                     " memory)");
  return t;
}

}  // namespace dirtyscope
