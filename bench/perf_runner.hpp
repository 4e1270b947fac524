// Runs one dirty_log_perf mode: builds a VM for the perf guest, populates
// memory, enables logging, then per iteration lets every vCPU make one pass
// and collects through the mode's collector, timing each step.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "dirtyscope/stats/stats_source.hpp"
#include <vector>

#include "dirtyscope/kvm_system.hpp"
#include "perf_options.hpp"

namespace dirtyscope::bench {

// One iteration's numbers. collect_ns is all collection work of the
// iteration: the collect call after the pass, plus (dirty ring) the
// harvests vCPU threads made on soft-full exits during the pass, which
// collect_in_dirty_ns shows on its own (those also lie inside dirty_ns:
// the vCPU is stopped while its ring is harvested).
struct IterationTimes {
  uint64_t dirty_ns = 0;
  uint64_t collect_ns = 0;
  uint64_t collect_kernel_ns = 0;  // inside GET/CLEAR/RESET ioctls
  uint64_t collect_user_ns = 0;    // collect_ns - collect_kernel_ns
  uint64_t collect_in_dirty_ns = 0;
  uint64_t pages_collected = 0;    // distinct pages KVM reported dirty
  uint64_t ring_full_exits = 0;
  // Ring modes: collect_user_ns's parts (RingTimes); the rest of it is
  // bookkeeping and clock reads around them.
  uint64_t ring_harvest_ns = 0;    // reading, checking and inserting entries
  uint64_t ring_merge_ns = 0;      // pending pages into the collected set
  uint64_t ring_lock_wait_ns = 0;  // waiting for the collector's lock
  uint64_t ring_entries = 0;       // entries harvested
};

enum class PerfStatus { Ok, Skip, Fail };
const char* perf_status_name(PerfStatus s);

struct PerfModeResult {
  std::string mode;
  PerfStatus status = PerfStatus::Ok;
  std::string reason;  // why it skipped or failed
  std::string variant; // how the mode ran, e.g. "KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 65536 entries"
  uint64_t populate_ns = 0;
  uint64_t enable_ns = 0;
  uint64_t disable_ns = 0;
  std::vector<IterationTimes> iterations;
  std::optional<stats::DirtyStats> stats;  // --stats: what the source counted for this mode
};

// `diag` receives a line per step as it completes (the kernel test's
// pr_info lines). Never throws for kernel trouble: that is a Skip or Fail.
// With `stats`, the source is read when the VM is ready and at the end of
// the run (VM still alive) and the difference lands in result.stats.
PerfModeResult run_perf_mode(const KvmSystem& kvm, const PerfOptions& options, const std::string& mode,
                             const std::function<void(const std::string&)>& diag,
                             stats::StatsSource* stats = nullptr);

}  // namespace dirtyscope::bench
