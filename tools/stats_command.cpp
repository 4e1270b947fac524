// `dirtyscope stats`: attach a StatsSource, print a batch every interval
// until interrupted (or once with -1). SIGINT/SIGTERM end the loop
// normally, so the source's destructor detaches the BPF programs.
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>

#include "cli.hpp"
#include "commands.hpp"
#include "dirtyscope/stats/bpf_stats_source.hpp"
#include "dirtyscope/stats/json.hpp"
#include "stats_view.hpp"

namespace dirtyscope::tools {
namespace {

constexpr const char* kHelp =
    "USAGE: dirtyscope stats [-i SECONDS] [-p PID] [-1] [--json] [--mode MODE]\n"
    "\n"
    "Live dirty-tracking statistics of the VMs on this host, from BPF programs\n"
    "on KVM's tracepoints: dirty pages pushed to the dirty ring, ring-full exits,\n"
    "ring resets, write faults (writable SPTEs installed), ring occupancy\n"
    "high-water mark, and latency percentiles of KVM_GET_DIRTY_LOG,\n"
    "KVM_CLEAR_DIRTY_LOG and KVM_RESET_DIRTY_RINGS. Works on any process's VMs\n"
    "(QEMU, the selftests); needs CAP_BPF and CAP_PERFMON (or root).\n"
    "\n"
    "OPTIONS:\n"
    "  -i, --interval SECONDS  refresh interval (default 1, 0.1 .. 3600)\n"
    "  -p, --pid PID           only the VMs of this process\n"
    "  -1, --once              print one batch after one interval, then exit\n"
    "      --json              one JSON object per batch (counts of that interval;\n"
    "                          keys bpf.ring_pushes, bpf.ring_resets, ...)\n"
    "      --mode MODE         auto (default), tp_btf, raw_tp or tp: how the BPF\n"
    "                          programs attach (auto prefers tp_btf)\n"
    "  -h, --help              this text\n"
    "\n"
    "EXIT STATUS: 0 ok, 1 failure, 2 usage error, 4 cannot run here (no\n"
    "privilege, BPF disabled, KVM tracepoints missing).\n"
    "\n"
    "EXAMPLES:\n"
    "  dirtyscope stats                       # all VMs, refreshed every second\n"
    "  dirtyscope stats -p $(pidof qemu-system-x86_64) -i 5\n"
    "  dirtyscope stats -1 --json -i 10       # what happened in the next 10 s\n";

struct Args {
  double interval_s = 1.0;
  pid_t pid = 0;
  bool once = false;
  bool json = false;
  stats::AttachMode mode = stats::AttachMode::Auto;
};

stats::AttachMode parse_mode(const std::string& s) {
  for (auto m : {stats::AttachMode::Auto, stats::AttachMode::TpBtf, stats::AttachMode::RawTp,
                 stats::AttachMode::Tp})
    if (s == stats::attach_mode_name(m)) return m;
  throw UsageError("--mode: '" + s + "' is not one of auto, tp_btf, raw_tp, tp");
}

// Returns false when --help was printed.
bool parse(int argc, char** argv, Args& a) {
  enum { kJson = 1000, kMode };
  static const option longs[] = {
      {"interval", required_argument, nullptr, 'i'}, {"pid", required_argument, nullptr, 'p'},
      {"once", no_argument, nullptr, '1'},           {"json", no_argument, nullptr, kJson},
      {"mode", required_argument, nullptr, kMode},   {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0}};
  opterr = 0;  // our own one-line messages
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, ":i:p:1h", longs, nullptr)) != -1) {
    switch (c) {
      case 'i': a.interval_s = parse_seconds("-i", optarg, 0.1, 3600); break;
      case 'p': a.pid = static_cast<pid_t>(parse_long("-p", optarg, 1, 1L << 22)); break;
      case '1': a.once = true; break;
      case kJson: a.json = true; break;
      case kMode: a.mode = parse_mode(optarg); break;
      case 'h': std::fputs(kHelp, stdout); return false;
      case ':': throw UsageError(std::string("option ") + argv[optind - 1] + " needs a value");
      default: throw UsageError(std::string("unknown option ") + argv[optind - 1]);
    }
  }
  if (optind < argc) throw UsageError(std::string("unexpected argument '") + argv[optind] + "'");
  if (a.pid) {
    struct stat st{};
    if (::stat(("/proc/" + std::to_string(a.pid)).c_str(), &st) != 0)
      throw UsageError("-p: no process with pid " + std::to_string(a.pid));
  }
  return true;
}

// Waits one interval; false if SIGINT/SIGTERM arrived (they are blocked
// and taken synchronously here, so no handler races with the loop).
bool wait_interval(const sigset_t& stop, double secs) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(secs);
  ts.tv_nsec = static_cast<long>((secs - std::floor(secs)) * 1e9);
  for (;;) {
    const int sig = sigtimedwait(&stop, nullptr, &ts);
    if (sig > 0) return false;
    if (errno == EAGAIN) return true;
    // EINTR from some other signal: keep waiting (slightly longer is fine).
  }
}

}  // namespace

int stats_main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) return kOk;

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  std::unique_ptr<stats::BpfStatsSource> src;
  try {
    src = std::make_unique<stats::BpfStatsSource>(stats::BpfOptions{.pid = a.pid, .mode = a.mode});
  } catch (const stats::StatsUnavailable& e) {
    std::fprintf(stderr, "dirtyscope stats: cannot run here: %s\n", e.what());
    return kUnavailable;
  }
  const ViewHeader header{std::string(src->name()) + " (" +
                              std::string(stats::attach_mode_name(src->mode())) + ")",
                          a.interval_s, a.pid};
  const bool tty = ::isatty(STDOUT_FILENO) && !a.json && !a.once;

  stats::DirtyStats prev = src->snapshot();
  while (wait_interval(stop, a.interval_s)) {
    const stats::DirtyStats now = src->snapshot();
    const stats::DirtyStats interval = stats::delta(now, prev);
    if (a.json) {
      std::printf("%s\n", stats::to_json(interval).c_str());
    } else {
      if (tty) std::fputs("\033[H\033[2J", stdout);  // redraw in place, like kvm_stat
      std::fputs(render_stats(header, now, interval).c_str(), stdout);
      if (!tty) std::fputs("\n", stdout);
    }
    std::fflush(stdout);
    prev = now;
    if (a.once) break;
  }
  return kOk;
}

}  // namespace dirtyscope::tools
