#include "agreement.hpp"

namespace dirtyscope::stats::testing {
namespace {

void check(std::vector<std::string>& out, const std::string& what, std::uint64_t observed,
           std::uint64_t expected) {
  if (observed != expected)
    out.push_back(what + ": source counted " + std::to_string(observed) + ", workload did " +
                  std::to_string(expected));
}

}  // namespace

std::vector<std::string> disagreements(const Workload& w, const VmStats& vm) {
  std::vector<std::string> out;
  const VcpuCounters t = vm.totals();
  check(out, "ring_pushes vs entries harvested", t.ring_pushes, w.harvested);
  check(out, "ring_resets vs reset calls x vCPUs", t.ring_resets, w.reset_calls * w.vcpus_with_ring);
  check(out, "ring_full_exits", t.ring_full_exits, w.ring_full_exits);
  for (DirtyIoctl which : kAllDirtyIoctls) {
    const IoctlStats& s = vm.ioctl(which);
    const std::uint64_t issued = w.ioctls[static_cast<std::size_t>(which)];
    const std::string name(ioctl_name(which));
    check(out, name + " latency samples", s.latency_ns.count(), issued);
    check(out, name + " count", s.count, issued);
  }
  return out;
}

}  // namespace dirtyscope::stats::testing
