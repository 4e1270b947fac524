#include "dirtyscope/ring_limits.hpp"

#include <linux/kvm.h>

#include <string>

#include "dirtyscope/error.hpp"
#include "dirtyscope/kvm_system.hpp"
#include "dirtyscope/vm.hpp"

namespace dirtyscope {

std::optional<RingLimits> ring_limits(int ring_max_bytes, int acq_rel_max_bytes) {
  if (ring_max_bytes <= 0 && acq_rel_max_bytes <= 0) return std::nullopt;
  // Both flavours answer the same maximum where both exist; ACQ_REL is
  // preferred because it promises the ordering DirtyRing::harvest relies on.
  const int max_bytes = acq_rel_max_bytes > 0 ? acq_rel_max_bytes : ring_max_bytes;
  return RingLimits{.min_entries = 4096 / sizeof(kvm_dirty_gfn),
                    .max_entries = static_cast<uint32_t>(static_cast<uint64_t>(max_bytes) / sizeof(kvm_dirty_gfn)),
                    .acq_rel = acq_rel_max_bytes > 0};
}

template <typename Kvm>
std::optional<RingLimits> ring_limits_of(const Kvm& kvm) {
  return ring_limits(kvm.check_extension(KVM_CAP_DIRTY_LOG_RING), kvm.check_extension(KVM_CAP_DIRTY_LOG_RING_ACQ_REL));
}
template std::optional<RingLimits> ring_limits_of(const KvmSystem&);
template std::optional<RingLimits> ring_limits_of(const Vm&);

void check_ring_entries(uint64_t entries, const RingLimits& limits) {
  const bool power_of_two = entries != 0 && (entries & (entries - 1)) == 0;
  if (!power_of_two || entries < limits.min_entries || entries > limits.max_entries)
    throw UsageError("-c: ring entries " + std::to_string(entries) + " outside KVM's limits " +
                     std::to_string(limits.min_entries) + ".." + std::to_string(limits.max_entries) +
                     " (power of two)");
}

}  // namespace dirtyscope
