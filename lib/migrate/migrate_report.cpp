// The results of `dirtyscope migrate` for people (a table) and for scripts
// and plots (JSON; its keys are documented in docs/json-format.md).
#include <cstdio>

#include "dirtyscope/json.hpp"
#include "dirtyscope/json_keys.hpp"
#include "dirtyscope/migrate/migrate_run.hpp"

namespace dirtyscope::migrate {

namespace key = json_keys::migrate;

namespace {

void write_rounds(JsonWriter& w, const MigrateResult& r) {
  w.key("rounds").begin_array();
  for (const RoundStats& s : r.rounds) {
    w.begin_object();
    w.field("round", s.round).field("stop_and_copy", s.stop_and_copy).field("collected", s.collected);
    w.field("sent", s.sent).field(key::kCollectMs, s.collect_ms).field("send_ms", s.send_ms);
    w.end_object();
  }
  w.end_array();
  // Convergence in one array, for plots: pages each live round collected.
  w.key(key::kRemainingPerRound).begin_array();
  for (const RoundStats& s : r.rounds)
    if (s.round > 0 && !s.stop_and_copy) w.value(s.collected);
  w.end_array();
}

void write_resume(JsonWriter& w, const MigrateResult& r) {
  w.field("resumed_ok", r.resumed_ok);
  w.key("resumed_vcpus").begin_array();
  for (const ResumedVcpu& v : r.resumed) {
    w.begin_object();
    w.field("writes_at_resume", v.writes_at_resume).field("writes_after", v.writes_after);
    w.field("first_check_ok", v.first_check_ok).field("first_check_sum", v.first_check_sum);
    w.field("second_check_ok", v.second_check_ok).field("second_check_sum", v.second_check_sum);
    w.end_object();
  }
  w.end_array();
}

}  // namespace

void write_json(std::ostream& out, const MigrateOptions& o, const std::vector<MigrateResult>& results) {
  JsonWriter w(out);
  w.begin_object().field(json_keys::kTool, key::kToolName);
  w.key(json_keys::kConfig).begin_object();
  w.field(key::kMemoryBytes, o.guest.test_size).field(key::kVcpus, o.guest.vcpus).field("memslots", o.guest.memslots);
  w.field("cpl", o.guest.cpl == GuestCpl::User ? 3 : 0);
  w.field("hot_pages", o.workload.hot_pages).field(key::kDirtyPages, o.workload.dirty_pages);
  w.field("random_pages", o.workload.random_pages).field("pause_ms", o.workload.pause_ms);
  w.field("threshold_pages", o.threshold_pages).field("max_rounds", o.max_rounds);
  w.field(key::kBandwidthMbps, o.bandwidth_mbps).field("injection", migrate_injection_name(o.injection));
  w.field("reaper", o.reaper).field("log_from_start", o.log_from_start);
  w.end_object();
  w.key(key::kMigrations).begin_array();
  for (const MigrateResult& r : results) {
    w.begin_object();
    w.field(key::kMode, r.mode).field(key::kOutcome, outcome_name(r.outcome)).field("reason", r.reason);
    w.field("seed", r.seed).field(key::kVcpus, r.vcpus).field("memory_pages", r.memory_pages);
    w.field(key::kLiveRounds, r.rounds.size() >= 2 ? uint64_t(r.rounds.size() - 2) : uint64_t{0});
    write_rounds(w, r);
    w.field(key::kPagesSent, r.pages_sent).field("bytes_sent", r.bytes_sent);
    w.field(key::kTotalS, r.total_s).field(key::kDowntimeMs, r.downtime_ms);
    w.field(key::kCollectMs, r.collect_ms).field(key::kCollectKernelMs, r.collect_kernel_ms);
    w.field("reaps", r.reaps).field("ring_full_exits", r.counters.ring_full_exits).field("vcpu_blocked_ms", double(r.counters.vcpu_blocked_ns) / 1e6);
    w.field("source_sha256", r.source_sha256).field("destination_sha256", r.destination_sha256);
    w.field("mismatched_pages", r.mismatched_pages);
    w.key("mismatches").begin_array();
    for (const PageMismatch& m : r.mismatches) {
      w.begin_object();
      w.field("gfn", m.gfn).field("system", m.system).field("last_sent_round", m.last_sent_round);
      w.field("last_dirtied_round", m.last_dirtied_round).field("writer_vcpu", m.writer_vcpu);
      w.field("source_writes", m.source_writes).field("destination_writes", m.destination_writes);
      w.end_object();
    }
    w.end_array();
    w.field("injected", r.injected);
    write_resume(w, r);
    w.end_object();
  }
  w.end_array().end_object();
  out << '\n';
}

std::string summary_table(const std::vector<MigrateResult>& results) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-16s %-5s %6s %10s %9s %9s %11s %10s %-9s %s\n", "mode", "", "rounds",
                "pages sent", "MB sent", "total s", "downtime ms", "collect ms", "checksums", "resumed");
  out += line;
  for (const MigrateResult& r : results) {
    const bool ran = !r.source_sha256.empty();
    std::snprintf(line, sizeof line, "%-16s %-5s %6zu %10llu %9.1f %9.3f %11.2f %10.2f %-9s %s\n", r.mode.c_str(),
                  outcome_name(r.outcome), r.rounds.size() >= 2 ? r.rounds.size() - 2 : size_t{0},
                  static_cast<unsigned long long>(r.pages_sent), double(r.bytes_sent) / 1e6, r.total_s,
                  r.downtime_ms, r.collect_ms,
                  !ran ? "-" : r.mismatched_pages ? "DIFFER" : "equal",
                  r.resumed.empty() ? "-" : r.resumed_ok ? "ok" : "FAILED");
    out += line;
  }
  return out;
}

}  // namespace dirtyscope::migrate
