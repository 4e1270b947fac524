// The dirty ring sizes KVM accepts, asked once and checked in one place:
// the early size check (host_limits, dirty_log_perf) and the collector
// that enables the ring must agree on the limits and on the message.
#pragma once

#include <cstdint>
#include <optional>

namespace dirtyscope {

struct RingLimits {
  uint32_t min_entries = 0;  // one page of 16-byte entries
  uint32_t max_entries = 0;  // what the capability answers, in entries
  bool acq_rel = false;      // KVM_CAP_DIRTY_LOG_RING_ACQ_REL is offered (the one to enable)
};

// From the answers to KVM_CHECK_EXTENSION for KVM_CAP_DIRTY_LOG_RING and
// KVM_CAP_DIRTY_LOG_RING_ACQ_REL (each the maximum ring size in bytes, 0
// when absent; arm64 offers only ACQ_REL). nullopt: no ring at all.
std::optional<RingLimits> ring_limits(int ring_max_bytes, int acq_rel_max_bytes);

// Any object with KVM_CHECK_EXTENSION (KvmSystem, Vm).
template <typename Kvm>
std::optional<RingLimits> ring_limits_of(const Kvm& kvm);

// Throws UsageError "-c: ring entries N outside KVM's limits MIN..MAX
// (power of two)" unless `entries` is a power of two within the limits.
void check_ring_entries(uint64_t entries, const RingLimits& limits);

}  // namespace dirtyscope
