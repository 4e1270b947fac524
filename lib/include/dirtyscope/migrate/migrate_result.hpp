// What a migration run measured and found: per round, the checksums of
// both sides, the pages that differ and what the destination guest said
// about its own memory once resumed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dirtyscope/collector.hpp"
#include "dirtyscope/mode_runner.hpp"

namespace dirtyscope::migrate {

struct RoundStats {
  uint32_t round = 0;        // 0: everything; then live rounds; last: stop-and-copy
  bool stop_and_copy = false;
  uint64_t collected = 0;    // pages the collector reported (remaining dirty)
  uint64_t sent = 0;         // pages sent
  double collect_ms = 0;     // wall time harvesting
  double send_ms = 0;        // wall time sending, bandwidth cap included
};

// A page whose SHA-256 differs between source and destination.
struct PageMismatch {
  uint64_t index = 0;  // in the migration stream's page order (system pages first)
  uint64_t gfn = 0;
  bool system = false;           // the unlogged system slot (sent whole at stop-and-copy)
  int64_t last_sent_round = -1;  // -1: never sent
  int64_t last_dirtied_round = -1;  // the last round whose collection reported it; -1: never
  int writer_vcpu = -1;          // from the page's writer word on the source; -1: none
  uint64_t source_writes = 0;    // the page's write counter on the source
  uint64_t destination_writes = 0;  // ... and on the destination
  std::string describe() const;
};

struct ResumedVcpu {
  uint64_t writes_at_resume = 0;  // its `writes` as migrated
  uint64_t writes_after = 0;      // once it ran on at the destination
  bool first_check_ok = false;    // sum of its pages' counters == writes, right after resuming
  bool second_check_ok = false;   // the same, after it wrote on
  uint64_t first_check_sum = 0, second_check_sum = 0;
};

struct MigrateResult {
  std::string mode;
  Outcome outcome = Outcome::Pass;
  std::string reason;  // why it failed or skipped
  uint64_t seed = 0;
  uint32_t vcpus = 0;
  uint64_t memory_pages = 0;  // system + test pages
  std::vector<RoundStats> rounds;
  uint64_t pages_sent = 0;
  uint64_t bytes_sent = 0;  // page data only
  double total_s = 0;       // round 0 starts .. destination applied the final state
  double downtime_ms = 0;   // vCPUs paused .. destination applied the final state
  double collect_ms = 0;    // sum of RoundStats::collect_ms
  double collect_kernel_ms = 0;  // of which inside the collecting ioctls
  CollectorCounters counters;
  uint64_t reaps = 0;  // --reaper: harvests its thread made
  std::string source_sha256, destination_sha256;  // of all memory, page order
  uint64_t mismatched_pages = 0;
  std::vector<PageMismatch> mismatches;  // the first kMaxListed
  std::string injected;  // what the injection did, readable
  // The injection acted on something (a page dropped, a round of pages
  // unsent, a reset skipped after a harvest that found entries, a byte
  // flipped): a run whose fault did not act fails, proving nothing.
  bool injection_fired = false;
  std::vector<ResumedVcpu> resumed;
  bool resumed_ok = false;
  static constexpr size_t kMaxListed = 16;
};

}  // namespace dirtyscope::migrate
