// Log2 histogram of nanosecond latencies, the shape BPF programs can fill
// without division: bucket i counts values in [2^i, 2^(i+1)), bucket 0
// also counts 0. Percentiles are estimated from the buckets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace dirtyscope::stats {

class Log2Histogram {
 public:
  // Matches DS_HIST_SLOTS in lib/stats/bpf/dirty_stats.h (static_assert'ed
  // where both are visible). 2^40 ns is ~18 minutes.
  static constexpr std::size_t kSlots = 40;

  // Bucket index for a value, saturating into the last bucket.
  static constexpr std::size_t slot_for(std::uint64_t ns) {
    std::size_t s = 0;
    while (ns > 1) {
      ns >>= 1;
      ++s;
    }
    return s < kSlots ? s : kSlots - 1;
  }
  // Inclusive lower and exclusive upper bound of bucket `slot` in ns.
  static constexpr std::uint64_t lower_bound(std::size_t slot) {
    return slot == 0 ? 0 : std::uint64_t{1} << slot;
  }
  static constexpr std::uint64_t upper_bound(std::size_t slot) {
    return std::uint64_t{1} << (slot + 1);
  }

  void record(std::uint64_t ns) { add(slot_for(ns), 1); }
  void add(std::size_t slot, std::uint64_t n);

  std::uint64_t count() const { return count_; }
  std::uint64_t bucket(std::size_t slot) const { return buckets_.at(slot); }

  // Estimated p-th percentile (0 <= p <= 100) in ns, linearly interpolated
  // inside the bucket that holds rank p/100 * count. nullopt when empty.
  // The estimate always lies inside the right bucket, so its error is
  // bounded by that bucket's width (a factor of 2).
  std::optional<double> percentile(double p) const;

  Log2Histogram& operator+=(const Log2Histogram& o);
  // Bucket-wise difference for interval views; clamps at zero so a source
  // that restarted does not produce huge unsigned wrap-arounds.
  Log2Histogram& operator-=(const Log2Histogram& o);
  bool operator==(const Log2Histogram&) const = default;

 private:
  std::array<std::uint64_t, kSlots> buckets_{};
  std::uint64_t count_ = 0;
};

}  // namespace dirtyscope::stats
