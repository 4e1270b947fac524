// Compares what a workload did (counted by the test itself) with what a
// StatsSource reported for that process. Used by the live tests; its own
// unit tests prove it flags every kind of disagreement (the negative twin).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dirtyscope/stats/dirty_stats.hpp"

namespace dirtyscope::stats::testing {

struct Workload {
  std::uint64_t harvested = 0;        // dirty-ring entries collected by the test
  std::uint64_t reset_calls = 0;      // KVM_RESET_DIRTY_RINGS issued
  std::uint64_t vcpus_with_ring = 0;  // each reset call resets every vCPU's ring
  std::uint64_t ring_full_exits = 0;  // KVM_EXIT_DIRTY_RING_FULL seen by the test
  std::array<std::uint64_t, kDirtyIoctlCount> ioctls{};  // calls issued, per ioctl
};

// One line per disagreement, naming the counter and both numbers; empty
// when everything agrees exactly.
std::vector<std::string> disagreements(const Workload& expected, const VmStats& observed);

}  // namespace dirtyscope::stats::testing
