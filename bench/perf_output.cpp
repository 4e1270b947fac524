#include "perf_output.hpp"

#include "dirtyscope/stats/json.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "dirtyscope/json.hpp"
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
  JsonWriter j(out);
  j.begin_object().field("tool", "dirty_log_perf");
  j.key("config").begin_object()
      .field("bytes_per_vcpu", o.bytes_per_vcpu).field("vcpus", o.vcpus).field("total_bytes", o.total_bytes())
      .field("pages_per_vcpu", o.pages_per_vcpu()).field("iterations", o.iterations)
      .field("manual_protect", o.manual_protect).field("backing", backing_name(o.backing))
      .field("memslots", o.memslots).field("write_fraction", o.write_fraction).field("overlap", o.overlap)
      .field("run_while_disabling", o.run_while_disabling).field("guest_phys_offset", o.gpa)
      .field("guest_mode", 0).field("ring_entries", o.ring_entries)
      .field("guest_cpl", o.cpl == x86::GuestCpl::User ? 3 : 0)
      .end_object();

  std::vector<ModeSummary> s;
  for (const auto& r : results) s.push_back(summarize(r));
  const ModeSummary* base = find_baseline(s);

  j.key("modes").begin_array();
  for (size_t i = 0; i < results.size(); ++i) {
    const PerfModeResult& r = results[i];
    const ModeSummary& m = s[i];
    j.begin_object()
        .field("mode", r.mode).field("result", perf_status_name(r.status)).field("reason", r.reason)
        .field("variant", r.variant).field("populate_ns", r.populate_ns).field("enable_ns", r.enable_ns)
        .field("disable_ns", r.disable_ns);
    if (r.stats) j.key("stats").raw(stats::to_json(*r.stats));
    j.key("iterations").begin_array();
    for (const auto& t : r.iterations)
      j.begin_object()
          .field("dirty_ns", t.dirty_ns).field("collect_ns", t.collect_ns)
          .field("collect_kernel_ns", t.collect_kernel_ns).field("collect_user_ns", t.collect_user_ns)
          .field("collect_in_dirty_ns", t.collect_in_dirty_ns).field("pages_collected", t.pages_collected)
          .field("ring_full_exits", t.ring_full_exits).field("ring_harvest_ns", t.ring_harvest_ns)
          .field("ring_merge_ns", t.ring_merge_ns).field("ring_lock_wait_ns", t.ring_lock_wait_ns)
          .field("ring_entries", t.ring_entries)
          .end_object();
    j.end_array();
    if (r.status == PerfStatus::Ok) {
      j.key("median").begin_object()
          .field("dirty_ns", m.dirty_ns).field("collect_ns", m.collect_ns)
          .field("collect_kernel_ns", m.collect_kernel_ns).field("collect_user_ns", m.collect_user_ns)
          .field("collect_in_dirty_ns", m.collect_in_dirty_ns).field("pages_collected", m.pages_collected)
          .field("collect_ns_per_page", m.collect_ns_per_page()).field("ring_harvest_ns", m.ring_harvest_ns)
          .field("ring_merge_ns", m.ring_merge_ns).field("ring_lock_wait_ns", m.ring_lock_wait_ns)
          .field("ring_entries", m.ring_entries)
          .field("ring_harvest_ns_per_entry", m.ring_harvest_ns_per_entry())
          .end_object();
      if (base) {
        // A ratio without a meaningful baseline (0 ns) is left out.
        const Ratios q = ratios(m, *base);
        j.key("vs_dirty_log").begin_object();
        if (q.dirty) j.field("dirty", *q.dirty);
        if (q.collect) j.field("collect", *q.collect);
        if (q.collect_kernel) j.field("collect_kernel", *q.collect_kernel);
        if (q.collect_user) j.field("collect_user", *q.collect_user);
        j.end_object();
      }
    }
    j.end_object();
  }
  j.end_array().end_object();
  out << "\n";
}

}  // namespace dirtyscope::bench
