// The ring-overrun alarm: judges a vCPU's dirty-ring high-water mark
// against the ring's capacity, for any VMM (QEMU, the selftests, ours).
//
// KVM (virt/kvm/dirty_ring.c, the same in 6.1 and 6.12) sizes a ring at
// KVM_CAP_DIRTY_LOG_RING and sets its soft limit to
//   size - KVM_DIRTY_RING_RSVD_ENTRIES (64) - kvm_cpu_dirty_log_size()
// where the last term is the PML buffer (512) on Intel with PML and 0
// elsewhere (AMD/SVM, arm64, PVM). Once the occupancy reaches the soft
// limit the vCPU must exit with KVM_EXIT_DIRTY_RING_FULL before it runs
// again; the reserve is room for the pushes that can still arrive before
// that exit (one instruction's writes, a PML flush). A push into a ring
// that is already full overwrites an entry userspace has not harvested
// (kvm_dirty_ring_push() WARNs "should never get full").
//
// The occupancy sources report is counted after the push (dirty_index -
// reset_index at the kvm_dirty_ring_push tracepoint, which fires after the
// increment), so a healthy ring peaks at the soft limit.
//
// Judgement, per vCPU (all thresholds in entries):
//   - soft limit = size - 64. On a PML host KVM's own soft limit is 512
//     lower, but a PML flush may legitimately fill those 512, so size - 64
//     is the point past which pushes eat into the reserve on every host:
//     the alarm never fires on a PML flush, and it is KVM's exact soft
//     limit everywhere else.
//   - late:    hwm > soft limit. The soft-full exit came later than KVM
//              meant; the reserve absorbed it, nothing was lost yet.
//   - overrun: hwm >= size. The ring was completely full: the next push
//              had no free slot (at hwm == size) or entries were already
//              overwritten (hwm > size). dirty_log_test treats a full ring
//              at a harvest as the same failure.
//   - unknown: the source cannot see the size (ring_size == 0) but the
//              ring had entries: never reported as healthy.
//   - no ring: neither a size nor any entry: bitmap logging, or a vCPU
//              known only from other events.
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
