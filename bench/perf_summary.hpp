// The numbers of the side-by-side table: per mode, medians over iterations
// (robust on a noisy shared machine), and each against dirty-log's. The
// collect breakdown (kernel, user, during the pass) is that of the
// median-collect iteration, so the parts add up to the median.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "perf_runner.hpp"

namespace dirtyscope::bench {

// Median of `values`; the mean of the middle two for an even count; 0 for none.
double median(std::vector<uint64_t> values);
// value / baseline, or nothing when the baseline is 0 (no meaningful ratio).
std::optional<double> ratio(double value, double baseline);

struct ModeSummary {
  std::string mode;
  PerfStatus status = PerfStatus::Ok;
  double dirty_ns = 0, collect_ns = 0, collect_kernel_ns = 0, collect_user_ns = 0;
  double collect_in_dirty_ns = 0, pages_collected = 0;
  double populate_ns = 0, enable_ns = 0, disable_ns = 0;
  // Ring modes: the userspace parts (IterationTimes), same iteration(s).
  double ring_harvest_ns = 0, ring_merge_ns = 0, ring_lock_wait_ns = 0, ring_entries = 0;
  // Harvest per entry; 0 without entries.
  double ring_harvest_ns_per_entry() const { return ring_entries > 0 ? ring_harvest_ns / ring_entries : 0; }
  // collect_ns per collected page; 0 without pages.
  double collect_ns_per_page() const { return pages_collected > 0 ? collect_ns / pages_collected : 0; }
};

ModeSummary summarize(const PerfModeResult& r);

// Ratios of one mode's medians against the baseline's (dirty-log).
struct Ratios {
  std::optional<double> dirty, collect, collect_kernel, collect_user;
};
Ratios ratios(const ModeSummary& mode, const ModeSummary& baseline);

}  // namespace dirtyscope::bench
