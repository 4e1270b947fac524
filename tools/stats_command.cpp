// `dirtyscope stats`: open a StatsSource (BPF programs, or dirtyscope.ko
// over generic netlink), print a batch every interval until interrupted (or
// once with -1). SIGINT/SIGTERM end the loop normally, so the source's
// destructor detaches the BPF programs / closes the netlink socket.
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "cli.hpp"
#include "commands.hpp"
#include "dirtyscope/stats/bpf_stats_source.hpp"
#include "dirtyscope/stats/json.hpp"
#include "dirtyscope/stats/kmod_stats_source.hpp"
#include "stats_view.hpp"

namespace dirtyscope::tools {
namespace {

constexpr const char* kHelp =
    "USAGE: dirtyscope stats [-i SECONDS] [-p PID] [-1] [--json] [--source SOURCE]\n"
    "                        [--mode MODE]\n"
    "\n"
    "Live dirty-tracking statistics of the VMs on this host: dirty pages pushed\n"
    "to the dirty ring, ring-full exits, ring resets, write faults (writable\n"
    "SPTEs installed), page faults, ring occupancy high-water mark and, from\n"
    "BPF only, latency percentiles of KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG\n"
    "and KVM_RESET_DIRTY_RINGS. Works on any process's VMs (QEMU, the selftests).\n"
    "\n"
    "Sources (--source):\n"
    "  bpf   BPF programs on KVM's tracepoints; needs CAP_BPF and CAP_PERFMON\n"
    "        (or root).\n"
    "  kmod  the dirtyscope.ko kernel module over generic netlink (family\n"
    "        'dirtyscope'); needs the module loaded, no privilege. It has no\n"
    "        ioctl latencies or fast page faults: those read 0.\n"
    "  auto  kmod when the module is loaded, else bpf (the default).\n"
    "\n"
    "OPTIONS:\n"
    "  -i, --interval SECONDS  refresh interval (default 1, 0.1 .. 3600)\n"
    "  -p, --pid PID           only the VMs of this process\n"
    "  -1, --once              print one batch after one interval, then exit\n"
    "      --json              one JSON object per batch (counts of that interval;\n"
    "                          keys <source>.ring_pushes, e.g. bpf.ring_pushes or\n"
    "                          kmod.ring_pushes, <source>.ring_resets, ...; kmod\n"
    "                          adds kmod.spp_allowed, kmod.spp_denied and\n"
    "                          kmod.spp_events_dropped)\n"
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
    "  dirtyscope stats --source kmod -1 --json   # from dirtyscope.ko\n";

struct Args {
  double interval_s = 1.0;
  pid_t pid = 0;
  bool once = false;
  bool json = false;
  stats::AttachMode mode = stats::AttachMode::Auto;
  bool mode_given = false;
  std::string source = "auto";  // kmod, bpf or auto
};

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

// Returns false when --help was printed.
bool parse(int argc, char** argv, Args& a) {
  enum { kJson = 1000, kMode, kSource };
  static const option longs[] = {
      {"interval", required_argument, nullptr, 'i'}, {"pid", required_argument, nullptr, 'p'},
      {"once", no_argument, nullptr, '1'},           {"json", no_argument, nullptr, kJson},
      {"mode", required_argument, nullptr, kMode},   {"source", required_argument, nullptr, kSource},
      {"help", no_argument, nullptr, 'h'},
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

struct Opened {
  std::unique_ptr<stats::StatsSource> src;
  std::string label;  // for the view's header
};

Opened open_bpf(const Args& a) {
  auto bpf = std::make_unique<stats::BpfStatsSource>(stats::BpfOptions{.pid = a.pid, .mode = a.mode});
  std::string label = "bpf (" + std::string(stats::attach_mode_name(bpf->mode())) + ")";
  return {std::move(bpf), std::move(label)};
}

Opened open_kmod(const Args& a) {
  return {std::make_unique<stats::KmodStatsSource>(stats::KmodOptions{.pid = a.pid}),
          "kmod (dirtyscope.ko)"};
}

// auto: the module when its family is registered (it costs nothing to
// read and needs no privilege), else BPF. When neither can run, say why
// for both on one line.
Opened open_source(const Args& a) {
  if (a.source == "bpf") return open_bpf(a);
  if (a.source == "kmod") return open_kmod(a);
  std::string kmod_why;
  try {
    return open_kmod(a);
  } catch (const stats::StatsUnavailable& e) {
    kmod_why = e.what();
  }
  try {
    return open_bpf(a);
  } catch (const stats::StatsUnavailable& e) {
    throw stats::StatsUnavailable("bpf: " + std::string(e.what()) + "; kmod: " + kmod_why);
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

  Opened opened;
  try {
    opened = open_source(a);
  } catch (const stats::StatsUnavailable& e) {
    std::fprintf(stderr, "dirtyscope stats: cannot run here: %s\n", e.what());
    return kUnavailable;
  }
  stats::StatsSource* src = opened.src.get();
  const ViewHeader header{opened.label, a.interval_s, a.pid};
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
