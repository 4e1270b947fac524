#include "stats_view.hpp"

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

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
    // Only sources that judge SPP writes have these (kmod); a row of zeros
    // from one that cannot see them would be a false "nothing denied".
    if (vm.spp) {
      const stats::SppCounters ds = iv.spp.value_or(stats::SppCounters{});
      counter_row(out, "SPP writes allowed", vm.spp->allowed, ds.allowed, secs);
      counter_row(out, "SPP writes denied", vm.spp->denied, ds.denied, secs);
      counter_row(out, "SPP denial events dropped", vm.spp->events_dropped, ds.events_dropped, secs);
    }

    out += "\n  vCPU      pushed  full-exits      resets  write-faults   hwm\n";
    for (const auto& [id, c] : vm.vcpus) {
      if (id == stats::kUnknownVcpu) {
        out += "     ?";
      } else {
        appendf(out, "  %4d", id);
      }
      appendf(out, " %11llu %11llu %11llu %13llu %5llu\n", ull(c.ring_pushes), ull(c.ring_full_exits),
              ull(c.ring_resets), ull(c.set_spte), ull(c.occupancy_hwm));
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
