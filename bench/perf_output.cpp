#include "perf_output.hpp"

#include "dirtyscope/stats/json.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "dirtyscope/json.hpp"
#include "dirtyscope/json_keys.hpp"
#include "dirtyscope/size_parse.hpp"
#include "perf_summary.hpp"

namespace dirtyscope::bench {

namespace {

const ModeSummary* find_baseline(const std::vector<ModeSummary>& s) {
  for (const auto& m : s)
    if (m.mode == "dirty-log" && m.status == PerfStatus::Ok) return &m;
  return nullptr;
}

std::string cell(const ModeSummary& m, const std::function<std::string(const ModeSummary&)>& f) {
  return m.status == PerfStatus::Ok ? f(m) : perf_status_name(m.status);
}

std::string fmt(const char* format, double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string ms(double ns) { return fmt("%.3f", ns / 1e6); }

std::string times(const std::optional<double>& r) { return r ? fmt("%.2fx", *r) : "n/a"; }

}  // namespace

std::string describe_config(const PerfOptions& o) {
  char gpa[32];
  std::snprintf(gpa, sizeof(gpa), "0x%llx", static_cast<unsigned long long>(o.gpa));
  return std::to_string(o.vcpus) + " vCPU(s) x " + format_size(o.bytes_per_vcpu) + (o.overlap ? " overlapped" : "") +
         " in " + std::to_string(o.memslots) + " memslot(s) at gpa " + gpa + ", " + backing_name(o.backing) +
         ", write 1/" + std::to_string(o.write_fraction) + " of pages, " + std::to_string(o.iterations) +
         " iterations, guest CPL" + (o.cpl == x86::GuestCpl::User ? "3" : "0") +
         (o.manual_protect ? "" : ", -g (no manual protect)") + (o.run_while_disabling ? ", -e" : "");
}

std::string side_by_side_table(const PerfOptions& o, const std::vector<PerfModeResult>& results) {
  std::vector<ModeSummary> s;
  for (const auto& r : results) s.push_back(summarize(r));
  const ModeSummary* base = find_baseline(s);

  std::string out = "side by side, medians over " + std::to_string(o.iterations) + " iterations (" +
                    describe_config(o) + "):\n";
  auto row = [&](const char* label, const std::function<std::string(const ModeSummary&)>& f) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "  %-24s", label);
    out += buf;
    for (const auto& m : s) {
      std::snprintf(buf, sizeof(buf), " %14s", cell(m, f).c_str());
      out += buf;
    }
    out += "\n";
  };
  auto ratio_row = [&](const char* label, std::optional<double> Ratios::*field) {
    row(label, [&](const ModeSummary& m) { return base ? times(ratios(m, *base).*field) : std::string("n/a"); });
  };
  {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "  %-24s", "");
    out += buf;
    for (const auto& m : s) {
      std::snprintf(buf, sizeof(buf), " %14s", m.mode.c_str());
      out += buf;
    }
    out += "\n";
  }
  row("dirty memory (ms)", [](const ModeSummary& m) { return ms(m.dirty_ns); });
  row("collect (ms)", [](const ModeSummary& m) { return ms(m.collect_ns); });
  row("  in ioctls (ms)", [](const ModeSummary& m) { return ms(m.collect_kernel_ns); });
  row("  in userspace (ms)", [](const ModeSummary& m) { return ms(m.collect_user_ns); });
  row("  during dirty pass (ms)", [](const ModeSummary& m) { return ms(m.collect_in_dirty_ns); });
  // The ring's userspace share, split (bitmap modes: "-").
  auto ring_only = [](auto f) {
    return [f](const ModeSummary& m) { return m.ring_entries > 0 ? f(m) : std::string("-"); };
  };
  row("  user: ring harvest (ms)", ring_only([](const ModeSummary& m) { return ms(m.ring_harvest_ns); }));
  row("  user: merge (ms)", ring_only([](const ModeSummary& m) { return ms(m.ring_merge_ns); }));
  row("  user: lock wait (ms)", ring_only([](const ModeSummary& m) { return ms(m.ring_lock_wait_ns); }));
  row("  user: other (ms)", ring_only([](const ModeSummary& m) {
        return ms(std::max(0.0, m.collect_user_ns - m.ring_harvest_ns - m.ring_merge_ns - m.ring_lock_wait_ns));
      }));
  row("  harvest ns/entry", ring_only([](const ModeSummary& m) { return fmt("%.2f", m.ring_harvest_ns_per_entry()); }));
  row("pages collected", [](const ModeSummary& m) { return fmt("%.0f", m.pages_collected); });
  row("collect ns/page", [](const ModeSummary& m) { return fmt("%.1f", m.collect_ns_per_page()); });
  ratio_row("collect vs dirty-log", &Ratios::collect);
  ratio_row("  ioctls vs dirty-log", &Ratios::collect_kernel);
  ratio_row("  user vs dirty-log", &Ratios::collect_user);
  ratio_row("dirty vs dirty-log", &Ratios::dirty);
  row("populate (ms)", [](const ModeSummary& m) { return ms(m.populate_ns); });
  row("enable logging (ms)", [](const ModeSummary& m) { return ms(m.enable_ns); });
  row("disable logging (ms)", [](const ModeSummary& m) { return ms(m.disable_ns); });
  for (const auto& r : results)
    if (r.status != PerfStatus::Ok) out += "  " + r.mode + ": " + perf_status_name(r.status) + ": " + r.reason + "\n";
  return out;
}

void write_perf_json(std::ostream& out, const PerfOptions& o, const std::vector<PerfModeResult>& results) {
  namespace k = json_keys::perf;
  JsonWriter j(out);
  j.begin_object().field(json_keys::kTool, k::kToolName);
  j.key(json_keys::kConfig).begin_object()
      .field(k::kBytesPerVcpu, o.bytes_per_vcpu).field(k::kVcpus, o.vcpus).field(k::kTotalBytes, o.total_bytes())
      .field(k::kPagesPerVcpu, o.pages_per_vcpu()).field(k::kIterations, o.iterations)
      .field(k::kManualProtect, o.manual_protect).field(k::kBacking, backing_name(o.backing))
      .field(k::kMemslots, o.memslots).field(k::kWriteFraction, o.write_fraction).field(k::kOverlap, o.overlap)
      .field(k::kRunWhileDisabling, o.run_while_disabling).field(k::kGuestPhysOffset, o.gpa)
      .field(k::kGuestMode, 0).field(k::kRingEntries, o.ring_entries)
      .field(k::kGuestCpl, o.cpl == x86::GuestCpl::User ? 3 : 0)
      .end_object();

  std::vector<ModeSummary> s;
  for (const auto& r : results) s.push_back(summarize(r));
  const ModeSummary* base = find_baseline(s);

  j.key(k::kModes).begin_array();
  for (size_t i = 0; i < results.size(); ++i) {
    const PerfModeResult& r = results[i];
    const ModeSummary& m = s[i];
    j.begin_object()
        .field(k::kMode, r.mode).field(k::kResult, perf_status_name(r.status)).field(k::kReason, r.reason)
        .field(k::kVariant, r.variant).field(k::kPopulateNs, r.populate_ns).field(k::kEnableNs, r.enable_ns)
        .field(k::kDisableNs, r.disable_ns);
    if (r.stats) j.key(k::kStats).raw(stats::to_json(*r.stats));
    j.key(k::kIterations).begin_array();
    for (const auto& t : r.iterations)
      j.begin_object()
          .field(k::kDirtyNs, t.dirty_ns).field(k::kCollectNs, t.collect_ns)
          .field(k::kCollectKernelNs, t.collect_kernel_ns).field(k::kCollectUserNs, t.collect_user_ns)
          .field(k::kCollectInDirtyNs, t.collect_in_dirty_ns).field(k::kPagesCollected, t.pages_collected)
          .field(k::kRingFullExits, t.ring_full_exits).field(k::kRingHarvestNs, t.ring_harvest_ns)
          .field(k::kRingMergeNs, t.ring_merge_ns).field(k::kRingLockWaitNs, t.ring_lock_wait_ns)
          .field(k::kRingEntries, t.ring_entries)
          .end_object();
    j.end_array();
    if (r.status == PerfStatus::Ok) {
      j.key(k::kMedian).begin_object()
          .field(k::kDirtyNs, m.dirty_ns).field(k::kCollectNs, m.collect_ns)
          .field(k::kCollectKernelNs, m.collect_kernel_ns).field(k::kCollectUserNs, m.collect_user_ns)
          .field(k::kCollectInDirtyNs, m.collect_in_dirty_ns).field(k::kPagesCollected, m.pages_collected)
          .field(k::kCollectNsPerPage, m.collect_ns_per_page()).field(k::kRingHarvestNs, m.ring_harvest_ns)
          .field(k::kRingMergeNs, m.ring_merge_ns).field(k::kRingLockWaitNs, m.ring_lock_wait_ns)
          .field(k::kRingEntries, m.ring_entries)
          .field(k::kRingHarvestNsPerEntry, m.ring_harvest_ns_per_entry())
          .end_object();
      if (base) {
        // A ratio without a meaningful baseline (0 ns) is left out.
        const Ratios q = ratios(m, *base);
        j.key(k::kVsDirtyLog).begin_object();
        if (q.dirty) j.field(k::kDirty, *q.dirty);
        if (q.collect) j.field(k::kCollect, *q.collect);
        if (q.collect_kernel) j.field(k::kCollectKernel, *q.collect_kernel);
        if (q.collect_user) j.field(k::kCollectUser, *q.collect_user);
        j.end_object();
      }
    }
    j.end_object();
  }
  j.end_array().end_object();
  out << "\n";
}

}  // namespace dirtyscope::bench
