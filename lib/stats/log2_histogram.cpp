#include "dirtyscope/stats/log2_histogram.hpp"

#include <algorithm>
#include <stdexcept>

namespace dirtyscope::stats {

void Log2Histogram::add(std::size_t slot, std::uint64_t n) {
  buckets_.at(slot) += n;
  count_ += n;
}

std::optional<double> Log2Histogram::percentile(double p) const {
  if (!(p >= 0.0 && p <= 100.0)) throw std::invalid_argument("percentile outside [0, 100]");
  if (count_ == 0) return std::nullopt;
  // The rank we look for; at least 1 so p=0 lands in the first non-empty
  // bucket instead of before it.
  const double rank = std::max(1.0, p / 100.0 * static_cast<double>(count_));
  double below = 0;
  for (std::size_t i = 0; i < kSlots; ++i) {
    const auto n = static_cast<double>(buckets_[i]);
    if (n == 0) continue;
    if (below + n >= rank) {
      const double frac = (rank - below) / n;  // in (0, 1]
      const auto lo = static_cast<double>(lower_bound(i));
      const auto hi = static_cast<double>(upper_bound(i));
      return lo + frac * (hi - lo);
    }
    below += n;
  }
  // Unreachable while count_ equals the bucket sum; keep a sane answer.
  return static_cast<double>(upper_bound(kSlots - 1));
}

Log2Histogram& Log2Histogram::operator+=(const Log2Histogram& o) {
  for (std::size_t i = 0; i < kSlots; ++i) buckets_[i] += o.buckets_[i];
  count_ += o.count_;
  return *this;
}

Log2Histogram& Log2Histogram::operator-=(const Log2Histogram& o) {
  count_ = 0;
  for (std::size_t i = 0; i < kSlots; ++i) {
    buckets_[i] = buckets_[i] > o.buckets_[i] ? buckets_[i] - o.buckets_[i] : 0;
    count_ += buckets_[i];
  }
  return *this;
}

}  // namespace dirtyscope::stats
