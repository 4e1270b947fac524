#include "perf_summary.hpp"

#include <algorithm>

namespace dirtyscope::bench {

double median(std::vector<uint64_t> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  if (n % 2) return static_cast<double>(values[n / 2]);
  return (static_cast<double>(values[n / 2 - 1]) + static_cast<double>(values[n / 2])) / 2;
}

std::optional<double> ratio(double value, double baseline) {
  if (baseline <= 0) return std::nullopt;
  return value / baseline;
}

ModeSummary summarize(const PerfModeResult& r) {
  ModeSummary s;
  s.mode = r.mode;
  s.status = r.status;
  auto med = [&](uint64_t IterationTimes::*field) {
    std::vector<uint64_t> v;
    for (const auto& t : r.iterations) v.push_back(t.*field);
    return median(std::move(v));
  };
  s.dirty_ns = med(&IterationTimes::dirty_ns);
  s.pages_collected = med(&IterationTimes::pages_collected);
  // The collect breakdown comes from the median-collect iteration(s), so
  // its parts add up to the collect median (per-field medians would not).
  std::vector<IterationTimes> by_collect = r.iterations;
  std::sort(by_collect.begin(), by_collect.end(),
            [](const IterationTimes& a, const IterationTimes& b) { return a.collect_ns < b.collect_ns; });
  const size_t n = by_collect.size();
  if (n) {
    const IterationTimes& lo = by_collect[(n - 1) / 2];
    const IterationTimes& hi = by_collect[n / 2];
    auto mid = [](uint64_t a, uint64_t b) { return (static_cast<double>(a) + static_cast<double>(b)) / 2; };
    s.collect_ns = mid(lo.collect_ns, hi.collect_ns);
    s.collect_kernel_ns = mid(lo.collect_kernel_ns, hi.collect_kernel_ns);
    s.collect_user_ns = mid(lo.collect_user_ns, hi.collect_user_ns);
    s.collect_in_dirty_ns = mid(lo.collect_in_dirty_ns, hi.collect_in_dirty_ns);
    s.ring_harvest_ns = mid(lo.ring_harvest_ns, hi.ring_harvest_ns);
    s.ring_merge_ns = mid(lo.ring_merge_ns, hi.ring_merge_ns);
    s.ring_lock_wait_ns = mid(lo.ring_lock_wait_ns, hi.ring_lock_wait_ns);
    s.ring_entries = mid(lo.ring_entries, hi.ring_entries);
  }
  s.populate_ns = static_cast<double>(r.populate_ns);
  s.enable_ns = static_cast<double>(r.enable_ns);
  s.disable_ns = static_cast<double>(r.disable_ns);
  return s;
}

Ratios ratios(const ModeSummary& mode, const ModeSummary& baseline) {
  return Ratios{ratio(mode.dirty_ns, baseline.dirty_ns), ratio(mode.collect_ns, baseline.collect_ns),
                ratio(mode.collect_kernel_ns, baseline.collect_kernel_ns),
                ratio(mode.collect_user_ns, baseline.collect_user_ns)};
}

}  // namespace dirtyscope::bench
