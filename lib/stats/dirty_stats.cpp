#include "dirtyscope/stats/dirty_stats.hpp"

#include <algorithm>

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
  ring_pushes += o.ring_pushes;
  ring_resets += o.ring_resets;
  ring_full_exits += o.ring_full_exits;
  page_faults += o.page_faults;
  fast_page_faults += o.fast_page_faults;
  set_spte += o.set_spte;
  occupancy_hwm = std::max(occupancy_hwm, o.occupancy_hwm);
  ring_size = std::max(ring_size, o.ring_size);
  return *this;
}

SppCounters& SppCounters::operator+=(const SppCounters& o) {
  allowed += o.allowed;
  denied += o.denied;
  events_dropped += o.events_dropped;
  return *this;
}

DropCounters& DropCounters::operator+=(const DropCounters& o) {
  events += o.events;
  pending_events += o.pending_events;
  vm_alloc += o.vm_alloc;
  vm_table_full += o.vm_table_full;
  vcpu_alloc += o.vcpu_alloc;
  task += o.task;
  notify += o.notify;
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
  for (const auto& [pid, vm] : vms) {
    if (!vm.spp) continue;
    if (!t) t.emplace();
    *t += *vm.spp;
  }
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

// Counters only grow while a source runs; clamp anyway so a source that
// was restarted between two snapshots yields zeros, not 2^64 - k.
std::uint64_t sub(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

VcpuCounters sub(const VcpuCounters& a, const VcpuCounters& b) {
  VcpuCounters d;
  d.ring_pushes = sub(a.ring_pushes, b.ring_pushes);
  d.ring_resets = sub(a.ring_resets, b.ring_resets);
  d.ring_full_exits = sub(a.ring_full_exits, b.ring_full_exits);
  d.page_faults = sub(a.page_faults, b.page_faults);
  d.fast_page_faults = sub(a.fast_page_faults, b.fast_page_faults);
  d.set_spte = sub(a.set_spte, b.set_spte);
  d.occupancy_hwm = a.occupancy_hwm;  // a high-water mark, not a counter
  d.ring_size = a.ring_size;          // a size, not a counter
  return d;
}

SppCounters sub(const SppCounters& a, const SppCounters& b) {
  return {sub(a.allowed, b.allowed), sub(a.denied, b.denied), sub(a.events_dropped, b.events_dropped)};
}

DropCounters sub(const DropCounters& a, const DropCounters& b) {
  return {sub(a.events, b.events),         sub(a.pending_events, b.pending_events),
          sub(a.vm_alloc, b.vm_alloc),     sub(a.vm_table_full, b.vm_table_full),
          sub(a.vcpu_alloc, b.vcpu_alloc), sub(a.task, b.task),
          sub(a.notify, b.notify)};
}

}  // namespace

DirtyStats delta(const DirtyStats& after, const DirtyStats& before) {
  DirtyStats d;
  d.source = after.source;
  for (const auto& [pid, vm] : after.vms) {
    VmStats& out = d.vms[pid];
    out.pid = pid;
    const auto prev = before.vms.find(pid);
    for (const auto& [id, c] : vm.vcpus) {
      if (prev == before.vms.end() || !prev->second.vcpus.contains(id)) {
        out.vcpus[id] = c;
      } else {
        out.vcpus[id] = sub(c, prev->second.vcpus.at(id));
      }
    }
    if (vm.spp) {
      const bool had = prev != before.vms.end() && prev->second.spp;
      out.spp = had ? sub(*vm.spp, *prev->second.spp) : *vm.spp;
    }
    if (vm.drops) {
      const bool had = prev != before.vms.end() && prev->second.drops;
      out.drops = had ? sub(*vm.drops, *prev->second.drops) : *vm.drops;
    }
    for (std::size_t i = 0; i < kDirtyIoctlCount; ++i) {
      out.ioctls[i] = vm.ioctls[i];
      if (prev == before.vms.end()) continue;
      const IoctlStats& p = prev->second.ioctls[i];
      out.ioctls[i].count = sub(out.ioctls[i].count, p.count);
      out.ioctls[i].total_ns = sub(out.ioctls[i].total_ns, p.total_ns);
      out.ioctls[i].latency_ns -= p.latency_ns;
    }
  }
  if (after.drops) d.drops = before.drops ? sub(*after.drops, *before.drops) : *after.drops;
  for (const std::string& note : after.inexact)
    if (std::find(before.inexact.begin(), before.inexact.end(), note) == before.inexact.end())
      d.inexact.push_back(note);
  return d;
}

}  // namespace dirtyscope::stats
