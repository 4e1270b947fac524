#include "stats_view.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "dirtyscope/stats/ring_health.hpp"

namespace dirtyscope::tools {
namespace {

using stats::DirtyIoctl;
using stats::DirtyStats;
using stats::VcpuCounters;
using stats::VmStats;

std::string comm_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (!std::getline(f, name)) return "exited";
  return name;
}

void appendf(std::string& out, const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), fmt, args...);
  out += buf;
}

unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

void counter_row(std::string& out, const char* label, std::uint64_t total, std::uint64_t interval,
                 double secs) {
  appendf(out, "  %-34s %14llu %12.0f\n", label, ull(total), static_cast<double>(interval) / secs);
}

// The ring-overrun alarm as a word for the vCPU table: the verdict, upper
// case when it is an alarm, so it stands out in a live view.
std::string ring_word(const VcpuCounters& c) {
  const stats::RingHealth h = stats::judge_ring(c.occupancy_hwm, c.ring_size);
  switch (h.verdict) {
    case stats::RingVerdict::Late: return "LATE";
    case stats::RingVerdict::Overrun: return "OVERRUN";
    case stats::RingVerdict::Unknown: return "size?";
    case stats::RingVerdict::NoRing: return "-";
    case stats::RingVerdict::Ok: break;
  }
  return "ok";
}

// One line per VM under its counters: what the alarm says and why, so a
// reader need not know KVM's soft limit by heart.
void ring_alarm_line(std::string& out, const VmStats& vm) {
  stats::RingVerdict worst = stats::RingVerdict::NoRing;
  int worst_id = 0;
  VcpuCounters worst_c;
  for (const auto& [id, c] : vm.vcpus) {
    const auto v = stats::judge_ring(c.occupancy_hwm, c.ring_size).verdict;
    if (v > worst) worst = v, worst_id = id, worst_c = c;
  }
  const char* label = "dirty-ring alarm";
  switch (worst) {
    case stats::RingVerdict::NoRing:
      return;  // bitmap logging, or nothing seen yet: no ring to judge
    case stats::RingVerdict::Ok:
      appendf(out, "  %-34s %14s  (every ring stayed within its soft limit)\n", label, "ok");
      return;
    case stats::RingVerdict::Unknown:
      appendf(out, "  %-34s %14s  (ring size unknown to this source: cannot judge hwm %llu)\n", label,
              "unknown", ull(worst_c.occupancy_hwm));
      return;
    case stats::RingVerdict::Late:
      appendf(out,
              "  %-34s %14s  (vCPU %d: %llu entries > soft limit %llu of %llu: soft-full exit late)\n",
              label, "LATE", worst_id, ull(worst_c.occupancy_hwm),
              ull(stats::ring_soft_limit(worst_c.ring_size)), ull(worst_c.ring_size));
      return;
    case stats::RingVerdict::Overrun:
      // At exactly the size nothing is overwritten yet, but KVM has no
      // room left; past it, the excess is at least how many unharvested
      // entries were overwritten.
      if (worst_c.occupancy_hwm == worst_c.ring_size) {
        appendf(out, "  %-34s %14s  (vCPU %d: %llu of %llu entries: ring full, the next push overwrites)\n",
                label, "OVERRUN", worst_id, ull(worst_c.occupancy_hwm), ull(worst_c.ring_size));
      } else {
        appendf(out, "  %-34s %14s  (vCPU %d: %llu entries > size %llu: >= %llu overwritten)\n", label,
                "OVERRUN", worst_id, ull(worst_c.occupancy_hwm), ull(worst_c.ring_size),
                ull(worst_c.occupancy_hwm - worst_c.ring_size));
      }
      return;
  }
}

}  // namespace

std::string format_ns(std::optional<double> ns) {
  if (!ns) return "-";
  char buf[32];
  if (*ns < 1e3) {
    std::snprintf(buf, sizeof(buf), "%.0fns", *ns);
  } else if (*ns < 1e6) {
    std::snprintf(buf, sizeof(buf), "%.1fus", *ns / 1e3);
  } else if (*ns < 1e9) {
    std::snprintf(buf, sizeof(buf), "%.1fms", *ns / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2fs", *ns / 1e9);
  }
  return buf;
}

std::string render_stats(const ViewHeader& h, const DirtyStats& total, const DirtyStats& interval) {
  std::string out;
  appendf(out, "dirtyscope stats  source %s  interval %.1fs  %s\n", h.source.c_str(), h.interval_s,
          h.pid_filter ? ("pid " + std::to_string(h.pid_filter)).c_str() : "all processes");
  if (total.vms.empty()) {
    out += "\n  no dirty-tracking activity seen yet\n";
    return out;
  }
  const double secs = h.interval_s > 0 ? h.interval_s : 1;
  for (const auto& [pid, vm] : total.vms) {
    const auto it = interval.vms.find(pid);
    const VmStats iv = it == interval.vms.end() ? VmStats{} : it->second;
    const VcpuCounters t = vm.totals();
    const VcpuCounters d = iv.totals();
    appendf(out, "\nVM pid %d (%s)%*s %14s %12s\n", static_cast<int>(pid), comm_of(pid).c_str(),
            std::max(0, 20 - static_cast<int>(comm_of(pid).size())), "", "Total", "Current/s");
    counter_row(out, "dirty pages pushed (ring)", t.ring_pushes, d.ring_pushes, secs);
    counter_row(out, "dirty-ring-full exits", t.ring_full_exits, d.ring_full_exits, secs);
    counter_row(out, "ring resets (per vCPU ring)", t.ring_resets, d.ring_resets, secs);
    counter_row(out, "write faults (set_spte writable)", t.set_spte, d.set_spte, secs);
    counter_row(out, "page faults (kvm_page_fault)", t.page_faults, d.page_faults, secs);
    counter_row(out, "fast page faults", t.fast_page_faults, d.fast_page_faults, secs);
    appendf(out, "  %-34s %14llu\n", "ring occupancy high-water", ull(t.occupancy_hwm));
    ring_alarm_line(out, vm);
    // Only sources that judge SPP writes have these (kmod); a row of zeros
    // from one that cannot see them would be a false "nothing denied".
    if (vm.spp) {
      const stats::SppCounters ds = iv.spp.value_or(stats::SppCounters{});
      counter_row(out, "SPP writes allowed", vm.spp->allowed, ds.allowed, secs);
      counter_row(out, "SPP writes denied", vm.spp->denied, ds.denied, secs);
      counter_row(out, "SPP denial events dropped", vm.spp->events_dropped, ds.events_dropped, secs);
    }

    out += "\n  vCPU      pushed  full-exits      resets  write-faults   hwm   size  ring\n";
    for (const auto& [id, c] : vm.vcpus) {
      if (id == stats::kUnknownVcpu) {
        out += "     ?";
      } else {
        appendf(out, "  %4d", id);
      }
      appendf(out, " %11llu %11llu %11llu %13llu %5llu %6s  %s\n", ull(c.ring_pushes),
              ull(c.ring_full_exits), ull(c.ring_resets), ull(c.set_spte), ull(c.occupancy_hwm),
              c.ring_size ? std::to_string(c.ring_size).c_str() : "?", ring_word(c).c_str());
    }

    out += "\n  ioctl                       calls     p50       p90       p99      mean\n";
    for (DirtyIoctl which : stats::kAllDirtyIoctls) {
      const auto& s = vm.ioctl(which);
      const std::optional<double> mean =
          s.count ? std::optional<double>(static_cast<double>(s.total_ns) / static_cast<double>(s.count))
                  : std::nullopt;
      appendf(out, "  %-23s %9llu %9s %9s %9s %9s\n", std::string(stats::ioctl_name(which)).c_str(),
              ull(s.count), format_ns(s.latency_ns.percentile(50)).c_str(),
              format_ns(s.latency_ns.percentile(90)).c_str(),
              format_ns(s.latency_ns.percentile(99)).c_str(), format_ns(mean).c_str());
    }
  }
  return out;
}

}  // namespace dirtyscope::tools
