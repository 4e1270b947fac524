#include "command_args.hpp"

#include <getopt.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "cli.hpp"

namespace dirtyscope::tools {
namespace {

constexpr const char* kHelp =
    "USAGE: dirtyscope stats [-i SECONDS] [-p PID] [-1] [--json] [--cumulative]\n"
    "                        [--source SOURCE] [--mode MODE]\n"
    "\n"
    "Live dirty-tracking statistics of the VMs on this host: dirty pages pushed\n"
    "to the dirty ring, ring-full exits, ring resets, write faults (writable\n"
    "SPTEs installed), page faults, ring occupancy high-water mark and, from\n"
    "BPF only, latency percentiles of KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG\n"
    "and KVM_RESET_DIRTY_RINGS. Works on any process's VMs (QEMU, the selftests).\n"
    "\n"
    "Ring-overrun alarm, per vCPU: the high-water mark against the ring's size\n"
    "(kvm_dirty_ring::size from BPF's CO-RE programs, RING_SIZE from the module;\n"
    "the classic-tracepoint mode cannot see it and says \"unknown\"): LATE when\n"
    "it passed KVM's soft limit (size - 64 reserved entries: the ring-full exit\n"
    "came late), OVERRUN when it reached the size (the ring was completely full:\n"
    "unharvested entries overwritten). The high-water mark counts since start.\n"
    "\n"
    "Sources (--source):\n"
    "  bpf   BPF programs on KVM's tracepoints; needs CAP_BPF and CAP_PERFMON\n"
    "        (or root).\n"
    "  kmod  the dirtyscope.ko kernel module over generic netlink (family\n"
    "        'dirtyscope'); needs the module loaded. Without CAP_SYS_PTRACE,\n"
    "        CAP_PERFMON or CAP_SYS_ADMIN it shows only your own VMs. It has\n"
    "        no ioctl latencies or fast page faults: those read 0.\n"
    "  auto  kmod when the module is loaded, else bpf (the default).\n"
    "\n"
    "OPTIONS:\n"
    "  -i, --interval SECONDS  refresh interval (default 1, 0.1 .. 3600)\n"
    "  -p, --pid PID           only the VMs of this process; stop (exit 0) after\n"
    "                          the first batch that finds it gone\n"
    "  -1, --once              print one batch after one interval, then exit\n"
    "      --json              one JSON object per batch (counts of that interval;\n"
    "                          keys <source>.ring_pushes, e.g. bpf.ring_pushes or\n"
    "                          kmod.ring_pushes, <source>.ring_resets, ...; kmod\n"
    "                          adds kmod.spp_allowed, kmod.spp_denied and\n"
    "                          kmod.spp_events_dropped; the ring alarm:\n"
    "                          <source>.ring_alarm, .ring_overrun_vcpus,\n"
    "                          .ring_late_vcpus, per vCPU .ring_size, .ring_late,\n"
    "                          .ring_overrun)\n"
    "      --cumulative        batches count since start instead of per interval\n"
    "      --source SOURCE     kmod, bpf or auto (default): where numbers come from\n"
    "      --mode MODE         auto (default), tp_btf, raw_tp or tp: how the BPF\n"
    "                          programs attach (auto prefers tp_btf); not with\n"
    "                          --source kmod\n"
    "  -h, --help              this text\n"
    "\n"
    "EXIT STATUS: 0 ok, 1 failure, 2 usage error, 4 cannot run here (no\n"
    "privilege, BPF disabled, KVM tracepoints missing; dirtyscope.ko not loaded\n"
    "for --source kmod).\n"
    "\n"
    "EXAMPLES:\n"
    "  dirtyscope stats                       # all VMs, refreshed every second\n"
    "  dirtyscope stats -p $(pidof qemu-system-x86_64) -i 5\n"
    "  dirtyscope stats -1 --json -i 10       # what happened in the next 10 s\n"
    "  dirtyscope stats --source kmod -1 --json   # from dirtyscope.ko\n"
    "  dirtyscope stats -p $PID --json --cumulative  # totals until $PID exits\n";

stats::AttachMode parse_mode(const std::string& s) {
  for (auto m : {stats::AttachMode::Auto, stats::AttachMode::TpBtf, stats::AttachMode::RawTp,
                 stats::AttachMode::Tp})
    if (s == stats::attach_mode_name(m)) return m;
  throw UsageError("--mode: '" + s + "' is not one of auto, tp_btf, raw_tp, tp");
}

std::string parse_source(const std::string& s) {
  if (s == "kmod" || s == "bpf" || s == "auto") return s;
  throw UsageError("--source: '" + s + "' is not one of kmod, bpf, auto");
}

}  // namespace

void report_usage(std::FILE* out) {
  std::fputs(
      "USAGE: dirtyscope report [-o PLOT.png|PLOT.svg] FILE.json...\n"
      "       dirtyscope report --fit [--json FIT.json] [-o PLOT] FILE.json...\n"
      "\n"
      "Reads dirty_log_perf --json files and prints, per memory size and write\n"
      "fraction (-f), each mode's median collection time per iteration and its\n"
      "ratio to dirty-log. With -o, also plots collection cost against memory\n"
      "size and against dirty fraction, one line per mode (gnuplot).\n"
      "\n"
      "With --fit (for runs that vary memory, -f, vCPUs and memslots, as make\n"
      "bench-scale makes them): a row per configuration, then per mode the\n"
      "collect time fitted as fixed + per page of memory + per dirty page +\n"
      "per extra vCPU + per extra memslot, each with its standard error; -o\n"
      "plots one panel per varied quantity.\n"
      "\n"
      "  -o FILE      write the plot; .svg makes SVG, anything else PNG\n"
      "  --fit        the scale fit (above)\n"
      "  --json FILE  with --fit: also write the fits as JSON\n"
      "  -h        this help\n"
      "\n"
      "EXIT STATUS: 0 ok, 1 unreadable input or gnuplot failed, 2 usage error,\n"
      "4 plot asked for but gnuplot is not installed (the table still prints).\n"
      "\n"
      "EXAMPLE:\n"
      "  dirty_log_perf -b 1G -i 3 --json 1g.json && dirty_log_perf -b 1G -f 64 -i 3 --json 1g-f64.json\n"
      "  dirtyscope report -o crossover.png 1g.json 1g-f64.json\n",
      out);
}

bool parse_stats_args(int argc, char** argv, StatsArgs& a) {
  enum { kJson = 1000, kMode, kSource, kCumulative };
  static const option longs[] = {
      {"interval", required_argument, nullptr, 'i'}, {"pid", required_argument, nullptr, 'p'},
      {"once", no_argument, nullptr, '1'},           {"json", no_argument, nullptr, kJson},
      {"mode", required_argument, nullptr, kMode},   {"source", required_argument, nullptr, kSource},
      {"cumulative", no_argument, nullptr, kCumulative}, {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0}};
  opterr = 0;  // our own one-line messages
  // 0, not 1: glibc then forgets a cluster (-1x) left half-read by a
  // parse that threw, which a second parse would otherwise resume from
  // the old, possibly freed, argv (the fuzzer and tests parse many times).
  optind = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":i:p:1h", longs, nullptr)) != -1) {
    switch (c) {
      case 'i': a.interval_s = parse_seconds("-i", optarg, 0.1, 3600); break;
      case 'p': a.pid = static_cast<pid_t>(parse_long("-p", optarg, 1, 1L << 22)); break;
      case '1': a.once = true; break;
      case kJson: a.json = true; break;
      case kCumulative: a.cumulative = true; break;
      case kMode:
        a.mode = parse_mode(optarg);
        a.mode_given = true;
        break;
      case kSource: a.source = parse_source(optarg); break;
      case 'h': std::fputs(kHelp, stdout); return false;
      case ':': throw UsageError(std::string("option ") + argv[optind - 1] + " needs a value");
      default: throw UsageError(std::string("unknown option ") + argv[optind - 1]);
    }
  }
  if (optind < argc) throw UsageError(std::string("unexpected argument '") + argv[optind] + "'");
  if (a.source == "kmod" && a.mode_given)
    throw UsageError("--mode " + std::string(stats::attach_mode_name(a.mode)) +
                     ": BPF attach modes do not apply to --source kmod");
  if (a.pid) {
    struct stat st{};
    if (::stat(("/proc/" + std::to_string(a.pid)).c_str(), &st) != 0)
      throw UsageError("-p: no process with pid " + std::to_string(a.pid));
  }
  return true;
}


bool parse_report_args(int argc, char** argv, ReportArgs& a) {
  enum { kFit = 1000, kJson };
  static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                 {"fit", no_argument, nullptr, kFit},
                                 {"json", required_argument, nullptr, kJson},
                                 {nullptr, 0, nullptr, 0}};
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":ho:", kLong, nullptr)) != -1) {
    switch (c) {
      case 'h': report_usage(stdout); return false;
      case 'o': a.plot = optarg; break;
      case kFit: a.fit = true; break;
      case kJson: a.json = optarg; break;
      case ':': throw UsageError(std::string("option ") + argv[optind - 1] + " needs a value");
      default: throw UsageError(std::string("unknown option ") + argv[optind - 1]);
    }
  }
  if (!a.json.empty() && !a.fit) throw UsageError("--json: only with --fit (the fits are what it writes)");
  if (optind >= argc) throw UsageError("no input: give one or more dirty_log_perf --json files");
  a.files.assign(argv + optind, argv + argc);
  return true;
}

}  // namespace dirtyscope::tools
