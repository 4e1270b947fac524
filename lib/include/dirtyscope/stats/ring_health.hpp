// The ring-overrun alarm: judges a vCPU's dirty-ring high-water mark
// against the ring's capacity, for any VMM (QEMU, the selftests, ours).
// The thresholds and why size - 64 is the soft limit on every host (PML
// included): docs/statistics-and-alarm.md, "the ring-overrun alarm".
#pragma once

#include <cstdint>
#include <string_view>

namespace dirtyscope::stats {

// KVM_DIRTY_RING_RSVD_ENTRIES in include/linux/kvm_host.h (6.1, 6.12).
inline constexpr std::uint64_t kDirtyRingReservedEntries = 64;

// Ordered by severity: the worst of several vCPUs is the max.
enum class RingVerdict : std::uint8_t { NoRing = 0, Ok = 1, Unknown = 2, Late = 3, Overrun = 4 };

struct RingHealth {
  RingVerdict verdict = RingVerdict::NoRing;
  std::uint64_t soft_limit = 0;  // 0 when the size is unknown
  bool late() const { return verdict == RingVerdict::Late || verdict == RingVerdict::Overrun; }
  bool overrun() const { return verdict == RingVerdict::Overrun; }
  bool operator==(const RingHealth&) const = default;
};

constexpr std::uint64_t ring_soft_limit(std::uint64_t ring_size) {
  // KVM refuses rings smaller than its reserve; saturate rather than wrap
  // if a source ever reports one.
  return ring_size > kDirtyRingReservedEntries ? ring_size - kDirtyRingReservedEntries : 0;
}

constexpr RingHealth judge_ring(std::uint64_t occupancy_hwm, std::uint64_t ring_size) {
  if (ring_size == 0)
    return {occupancy_hwm ? RingVerdict::Unknown : RingVerdict::NoRing, 0};
  const std::uint64_t soft = ring_soft_limit(ring_size);
  if (occupancy_hwm >= ring_size) return {RingVerdict::Overrun, soft};
  if (occupancy_hwm > soft) return {RingVerdict::Late, soft};
  return {RingVerdict::Ok, soft};
}

// JSON value and view word: "no-ring", "ok", "unknown", "late", "overrun".
constexpr std::string_view ring_verdict_name(RingVerdict v) {
  switch (v) {
    case RingVerdict::NoRing: return "no-ring";
    case RingVerdict::Ok: return "ok";
    case RingVerdict::Unknown: return "unknown";
    case RingVerdict::Late: return "late";
    case RingVerdict::Overrun: return "overrun";
  }
  return "unknown";
}

}  // namespace dirtyscope::stats
