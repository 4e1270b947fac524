// dirty_log_test: a drop-in for the kernel selftest of that name (same
// flags, KTAP, kselftest exit codes), with more modes and a stricter
// verifier. See -h.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>

#include "dirty_log_test_options.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/host_limits.hpp"
#include "dirtyscope/json.hpp"
#include "dirtyscope/size_parse.hpp"
#include "dirtyscope/stats/json.hpp"
#include "dirtyscope/stats/source_factory.hpp"
#include "dirtyscope/stats/stats_window.hpp"
#include "dirtyscope/ktap.hpp"
#include "dirtyscope/stats/stats_agreement.hpp"
#include "dirtyscope/text_list.hpp"

using namespace dirtyscope;

namespace {

// What --stats saw during one mode, and how it compared with the run.
struct ModeStats {
  std::string json;  // the source's delta over the mode, as stats::to_json
  std::vector<StatsComparison> comparisons;
};

// The run's hooks open a stats window when the VM is ready and close it
// when the iterations are over, then compare what the source saw.
RunHooks watch_stats(stats::StatsWindow& window, ModeStats& out) {
  return RunHooks{[&window] { window.open(); },
                  [&window, &out](ModeResult& r) {
                    stats::DirtyStats mine = window.close(getpid());
                    out.json = stats::to_json(mine);
                    out.comparisons = compare_stats(mine, r);
                  }};
}

void write_json(const std::string& path, const TestOptions& t, const std::vector<ModeResult>& results,
                const std::map<std::string, ModeStats>& mode_stats) {
  std::ofstream out(path);
  if (!out) throw UsageError("--json: cannot write '" + path + "'");
  JsonWriter j(out);
  const GuestConfig& g = t.run.guest;
  j.begin_object().field("tool", "dirty_log_test");
  j.key("config").begin_object()
      .field("test_mem_bytes", g.test_size).field("vcpus", g.vcpus).field("memslots", g.memslots)
      .field("backing", backing_name(g.backing)).field("guest_cpl", guest_cpl_number(g.cpl))
      .field("iterations", t.run.iterations).field("interval_ms", t.run.interval_ms)
      .field("ring_entries_flag", t.run.ring_entries).field("seed", g.seed)
      .field("inject", injection_name(t.run.injection))
      .field("sweep", t.run.mix.sweep).field("rewrite", t.run.mix.rewrite).field("soft_full", t.run.soft_full)
      .field("log_from_start", !t.run.populate_first)
      .field("reset_signals", t.run.reset_signals)
      .end_object();
  j.key("modes").begin_array();
  for (const auto& r : results) {
    j.begin_object()
        .field("mode", r.mode).field("result", outcome_name(r.outcome)).field("reason", r.reason)
        .field("iterations", r.iterations).field("guest_writes", r.guest_writes)
        .field("pages_reported_dirty", r.pages_reported_dirty)
        .field("seed", r.seed)
        .field("pages_written", r.pages_written)
        .field("pages_rewritten", r.pages_rewritten)
        .field("verified_collections", r.verified_collections)
        .field("collections", r.counters.collections)
        .field("ring_entries", r.ring_entries)
        .field("ring_entries_harvested", r.counters.ring_entries_harvested)
        .field("ring_resets", r.counters.ring_resets)
        .field("ring_resets_interrupted", r.counters.ring_resets_interrupted)
        .field("ring_full_exits", r.counters.ring_full_exits)
        .field("ring_high_water", r.counters.ring_high_water)
        .field("ring_overruns", r.counters.ring_overruns)
        .field("vcpu_blocked_count", r.counters.vcpu_blocked_count)
        .field("vcpu_blocked_ns", r.counters.vcpu_blocked_ns)
        .field("elapsed_s", r.elapsed_s);
    j.key("offenders").begin_array();
    for (const auto& o : r.offenders) j.value(o);
    j.end_array();
    if (auto it = mode_stats.find(r.mode); it != mode_stats.end() && !it->second.json.empty()) {
      j.key("stats").raw(it->second.json);
      j.key("stats_agreement").begin_array();
      for (const auto& c : it->second.comparisons)
        j.begin_object().field("key", c.what).field("seen", c.seen).field("expected", c.expected)
            .field("agrees", c.agrees()).end_object();
      j.end_array();
    }
    j.end_object();
  }
  j.end_array().end_object();
  out << "\n";
}

// The verdict table a person reads at the end (as KTAP diagnostics).
void print_verdicts(Ktap& ktap, const std::vector<ModeResult>& results) {
  char line[256];
  std::snprintf(line, sizeof(line), "%-18s %-6s %6s %13s %12s %10s %10s %8s", "mode", "result", "iters",
                "guest writes", "dirty pages", "ring full", "blocked", "time");
  ktap.diag(line);
  for (const auto& r : results) {
    std::snprintf(line, sizeof(line), "%-18s %-6s %6llu %13llu %12llu %10llu %10llu %7.1fs", r.mode.c_str(),
                  outcome_name(r.outcome), static_cast<unsigned long long>(r.iterations),
                  static_cast<unsigned long long>(r.guest_writes),
                  static_cast<unsigned long long>(r.pages_reported_dirty),
                  static_cast<unsigned long long>(r.counters.ring_full_exits),
                  static_cast<unsigned long long>(r.counters.vcpu_blocked_count), r.elapsed_s);
    ktap.diag(line);
  }
}

}  // namespace

int main(int argc, char** argv) {
  TestOptions t;
  try {
    t = parse_test_options(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "dirty_log_test: %s\n", e.what());
    return kExitUsage;
  }
  if (t.help) {
    std::fputs(test_usage(argv[0]).c_str(), stdout);
    return kExitPass;
  }

  try {
    KvmSystem kvm = KvmSystem::open();
    bool ring = false;
    for (const auto& m : t.modes) ring = ring || is_ring_mode(m);
    check_host_limits(kvm, t.run, ring);

    std::unique_ptr<stats::StatsSource> stats_source;
    if (t.stats_source) {
      try {
        stats_source = stats::make_stats_source(*t.stats_source, getpid());
      } catch (const stats::StatsUnavailable& e) {
        Ktap::skip_all(std::string("--stats: ") + e.what());
        return kExitSkip;
      }
    }
    std::map<std::string, ModeStats> mode_stats;

    Ktap ktap;
    ktap.header(t.modes.size());
    const GuestConfig& g = t.run.guest;
    ktap.diag("dirty_log_test: " + std::to_string(g.vcpus) + " vCPU(s), " + format_size(g.test_size) +
              " in " + std::to_string(g.memslots) + " memslot(s) at gpa 0x" + [&] {
                char b[32];
                std::snprintf(b, sizeof(b), "%llx", static_cast<unsigned long long>(g.test_gpa));
                return std::string(b);
              }() + ", backing " + backing_name(g.backing) + ", guest " +
              guest_privilege_name(g.cpl) + ", " + std::to_string(t.run.iterations) +
              " iterations every " + std::to_string(t.run.interval_ms) + " ms, seed " +
              std::to_string(g.seed) +
              (t.run.injection != Injection::None ? std::string(", inject ") + injection_name(t.run.injection) : ""));

    if (!t.left_out.empty()) {
      std::string names;
      for (const auto& m : t.left_out) append_item(names, ", ", m);
      ktap.diag(std::string("--inject ") + injection_name(t.run.injection) + " cannot fire in " + names +
                ": not run");
    }

    std::vector<ModeResult> results;
    for (const auto& mode : t.modes) {
      RunOptions run = t.run;
      run.mode = mode;
      std::optional<stats::StatsWindow> window;
      if (stats_source) {
        window.emplace(*stats_source);
        run.hooks = watch_stats(*window, mode_stats[mode]);
      }
      ModeResult r = run_mode(kvm, run, [&](const std::string& line) { ktap.diag(line); });
      if (auto it = mode_stats.find(mode); it != mode_stats.end()) {
        for (const auto& c : it->second.comparisons) {
          ktap.diag(mode + ": stats: " + c.describe());
          if (!c.agrees() && r.outcome == Outcome::Pass) {
            r.outcome = Outcome::Fail;
            r.reason = "statistics disagree with the run: " + c.describe();
          }
        }
      }
      switch (r.outcome) {
        case Outcome::Pass:
          ktap.diag(mode + ": " + std::to_string(r.iterations) + " iterations, " +
                    std::to_string(r.verified_collections) + " collections verified, " +
                    std::to_string(r.guest_writes) + " guest writes to " + std::to_string(r.pages_written) +
                    " distinct pages, " + std::to_string(r.pages_reported_dirty) + " dirty pages reported (" +
                    std::to_string(r.pages_rewritten) + " of them rewritten after an earlier report), seed " +
                    std::to_string(r.seed));
          if (r.ring_entries)
            ktap.diag(mode + ": ring of " + std::to_string(r.ring_entries) + " entries per vCPU: " +
                      std::to_string(r.counters.ring_full_exits) + " soft-full exits, fullest ring held " +
                      std::to_string(r.counters.ring_high_water) + " entries at a harvest (soft limit " +
                      std::to_string(r.ring_entries - 64) + ": KVM reserves 64)");
          if (t.run.reset_signals && r.ring_entries)
            ktap.diag(mode + ": --reset-signals: " + std::to_string(r.counters.ring_resets) + " resets, " +
                      std::to_string(r.counters.ring_resets_interrupted) + " calls interrupted (EINTR) and retried");
          ktap.pass(mode);
          break;
        case Outcome::Fail:
          ktap.diag(mode + ": FAIL: " + r.reason);
          for (const auto& o : r.offenders) ktap.diag(mode + ":   " + o);
          ktap.fail(mode);
          break;
        case Outcome::Skip:
          ktap.skip(mode, r.reason);
          break;
      }
      results.push_back(std::move(r));
    }
    print_verdicts(ktap, results);
    if (t.json_path) write_json(*t.json_path, t, results, mode_stats);
    return ktap.finish();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "dirty_log_test: %s\n", e.what());
    return kExitUsage;
  } catch (const SkipError& e) {
    Ktap::skip_all(e.what());
    return kExitSkip;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dirty_log_test: %s\n", e.what());
    return kExitFail;
  }
}
