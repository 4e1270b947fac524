#include "dirtyscope/stats/dirty_stats.hpp"

#include <algorithm>

#include "counter_fields.hpp"

namespace dirtyscope::stats {

std::string_view ioctl_name(DirtyIoctl which) {
  switch (which) {
    case DirtyIoctl::GetDirtyLog: return "KVM_GET_DIRTY_LOG";
    case DirtyIoctl::ClearDirtyLog: return "KVM_CLEAR_DIRTY_LOG";
    case DirtyIoctl::ResetDirtyRings: return "KVM_RESET_DIRTY_RINGS";
  }
  return "KVM_UNKNOWN_IOCTL";
}

VcpuCounters& VcpuCounters::operator+=(const VcpuCounters& o) {
  add_counters(*this, o);
  occupancy_hwm = std::max(occupancy_hwm, o.occupancy_hwm);
  ring_size = std::max(ring_size, o.ring_size);
  return *this;
}

SppCounters& SppCounters::operator+=(const SppCounters& o) {
  add_counters(*this, o);
  return *this;
}

DropCounters& DropCounters::operator+=(const DropCounters& o) {
  add_counters(*this, o);
  return *this;
}

IoctlStats& IoctlStats::operator+=(const IoctlStats& o) {
  count += o.count;
  total_ns += o.total_ns;
  latency_ns += o.latency_ns;
  return *this;
}

VcpuCounters VmStats::totals() const {
  VcpuCounters t;
  for (const auto& [id, c] : vcpus) t += c;
  return t;
}

std::uint64_t VmStats::ioctl_count() const {
  std::uint64_t n = 0;
  for (const auto& s : ioctls) n += s.count;
  return n;
}

VcpuCounters DirtyStats::totals() const {
  VcpuCounters t;
  for (const auto& [pid, vm] : vms) t += vm.totals();
  return t;
}

std::optional<SppCounters> DirtyStats::spp_total() const {
  std::optional<SppCounters> t;
  for (const auto& [pid, vm] : vms) add_counted(t, vm.spp);
  return t;
}

IoctlStats DirtyStats::ioctl_total(DirtyIoctl which) const {
  IoctlStats t;
  for (const auto& [pid, vm] : vms) t += vm.ioctl(which);
  return t;
}

std::uint64_t DirtyStats::ioctl_count() const {
  std::uint64_t n = 0;
  for (const auto& [pid, vm] : vms) n += vm.ioctl_count();
  return n;
}

namespace {

// One counter's minus_clamped (counter_fields.hpp).
std::uint64_t sub(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

}  // namespace

DirtyStats delta(const DirtyStats& after, const DirtyStats& before) {
  DirtyStats d;
  d.source = after.source;
  for (const auto& [pid, vm] : after.vms) {
    VmStats& out = d.vms[pid];
    out.pid = pid;
    const auto it = before.vms.find(pid);
    const VmStats* prev = it == before.vms.end() ? nullptr : &it->second;
    for (const auto& [id, c] : vm.vcpus)
      out.vcpus[id] = prev && prev->vcpus.contains(id) ? minus_clamped(c, prev->vcpus.at(id)) : c;
    out.spp = since(vm.spp, prev ? prev->spp : std::nullopt);
    out.drops = since(vm.drops, prev ? prev->drops : std::nullopt);
    for (std::size_t i = 0; i < kDirtyIoctlCount; ++i) {
      out.ioctls[i] = vm.ioctls[i];
      if (!prev) continue;
      const IoctlStats& p = prev->ioctls[i];
      out.ioctls[i].count = sub(out.ioctls[i].count, p.count);
      out.ioctls[i].total_ns = sub(out.ioctls[i].total_ns, p.total_ns);
      out.ioctls[i].latency_ns -= p.latency_ns;
    }
  }
  d.drops = since(after.drops, before.drops);
  for (const std::string& note : after.inexact)
    if (std::find(before.inexact.begin(), before.inexact.end(), note) == before.inexact.end())
      d.inexact.push_back(note);
  return d;
}

}  // namespace dirtyscope::stats
