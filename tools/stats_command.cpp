// `dirtyscope stats`: open a StatsSource (BPF programs, or dirtyscope.ko
// over generic netlink), print a batch every interval until interrupted (or
// once with -1). SIGINT/SIGTERM end the loop normally, so the source's
// destructor detaches the BPF programs / closes the netlink socket.
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include "cli.hpp"
#include "command_args.hpp"
#include "commands.hpp"
#include "dirtyscope/stats/bpf_stats_source.hpp"
#include "dirtyscope/stats/json.hpp"
#include "dirtyscope/stats/kmod_stats_source.hpp"
#include "stats_view.hpp"

namespace dirtyscope::tools {
namespace {

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

// A watched process that exited (or is a zombie nobody reaped yet) will
// never produce another event: a script watching a VMM with -p then gets
// its last batch and an end, instead of having to kill the watcher.
bool process_gone(pid_t pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return true;
  char state = '?';
  // "pid (comm) S ...": comm may hold spaces and parentheses; the state
  // follows the last ')'.
  char buf[512];
  const std::size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  if (const char* close = std::strrchr(buf, ')'); close && close[1] == ' ') state = close[2];
  return state == 'Z' || state == 'X';
}

struct Opened {
  std::unique_ptr<stats::StatsSource> src;
  std::string label;  // for the view's header
};

Opened open_bpf(const StatsArgs& a) {
  auto bpf = std::make_unique<stats::BpfStatsSource>(stats::BpfOptions{.pid = a.pid, .mode = a.mode});
  std::string label = "bpf (" + std::string(stats::attach_mode_name(bpf->mode())) + ")";
  return {std::move(bpf), std::move(label)};
}

Opened open_kmod(const StatsArgs& a) {
  return {std::make_unique<stats::KmodStatsSource>(stats::KmodOptions{.pid = a.pid}),
          "kmod (dirtyscope.ko)"};
}

// auto: the module when its family is registered (it costs nothing to
// read, and an unprivileged user still sees their own VMs), else BPF. When neither can run, say why
// for both on one line.
Opened open_source(const StatsArgs& a) {
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
  StatsArgs a;
  if (!parse_stats_args(argc, argv, a)) return kOk;

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
      std::printf("%s\n", stats::to_json(a.cumulative ? now : interval).c_str());
    } else {
      if (tty) std::fputs("\033[H\033[2J", stdout);  // redraw in place, like kvm_stat
      std::fputs(render_stats(header, now, interval).c_str(), stdout);
      if (!tty) std::fputs("\n", stdout);
    }
    std::fflush(stdout);
    prev = now;
    if (a.once) break;
    if (a.pid && process_gone(a.pid)) break;
  }
  return kOk;
}

}  // namespace dirtyscope::tools
