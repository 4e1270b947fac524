// Checks a run's sizes against what this host and its KVM can do, before
// anything is allocated, so bad input fails fast with a one-line message.
#pragma once

#include "dirtyscope/kvm_system.hpp"
#include "dirtyscope/mode_runner.hpp"

namespace dirtyscope {

// Guest physical address bits KVM offers the guest (CPUID 0x80000008).
unsigned guest_phys_bits(const KvmSystem& kvm);

// Throws UsageError when the test memory exceeds what the host can back or
// what the guest can address, or when the ring size is outside KVM's limits.
void check_host_limits(const KvmSystem& kvm, const RunOptions& options, bool uses_ring);

}  // namespace dirtyscope
