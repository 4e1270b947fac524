// Counter arithmetic of the kmod source: windows over the module's
// cumulative counters (kmod_since) and the DirtyStats form, keyed by
// process (kmod_to_dirty_stats).
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "counter_fields.hpp"
#include "dirtyscope/stats/kmod_stats_source.hpp"

namespace dirtyscope::stats {

template <>
struct CounterFields<KmodCounters> {
  static constexpr Counter<KmodCounters> all[] = {
      DS_COUNTER(KmodCounters, ring_pushes),     DS_COUNTER(KmodCounters, ring_resets),
      DS_COUNTER(KmodCounters, ring_reset_entries), DS_COUNTER(KmodCounters, ring_full_exits),
      DS_COUNTER(KmodCounters, page_faults),     DS_COUNTER(KmodCounters, set_spte),
      DS_COUNTER(KmodCounters, set_spte_writable)};
};

namespace {

// set_spte: BPF's counts writable SPTEs only (write faults); match it.
// fast_page_faults: the module has no fast_page_fault probe, stays 0.
VcpuCounters to_vcpu_counters(const KmodCounters& k) {
  return {.ring_pushes = k.ring_pushes, .ring_resets = k.ring_resets, .ring_full_exits = k.ring_full_exits,
          .page_faults = k.page_faults, .set_spte = k.set_spte_writable, .occupancy_hwm = k.ring_high_water,
          .ring_size = k.ring_size};
}

void add(KmodCounters& sum, const KmodCounters& c) {
  add_counters(sum, c);
  // The module's VM totals take the max of these two over vCPUs; so do we.
  sum.ring_size = std::max(sum.ring_size, c.ring_size);
  sum.ring_high_water = std::max(sum.ring_high_water, c.ring_high_water);
}

}  // namespace

KmodVm kmod_since(const KmodVm& now, const KmodVm& base) {
  KmodVm out = now;
  out.reset = KmodReset::None;
  // RESET_STATS zeroed this VM since the baseline: what it reports now is
  // exactly what happened since that reset, whatever each counter did
  // (one that grew past its old value would otherwise look untouched).
  if (now.reset_gen && base.reset_gen && *now.reset_gen != *base.reset_gen) {
    out.reset = KmodReset::Generation;
    return out;
  }
  out.totals = KmodCounters{};
  for (KmodVcpu& vc : out.vcpus) {
    const auto it = std::find_if(base.vcpus.begin(), base.vcpus.end(),
                                 [&](const KmodVcpu& b) { return b.index == vc.index; });
    // A vCPU new since the baseline, or one whose counters were zeroed by a
    // RESET_STATS in between (a module without generations), counts from zero.
    if (it != base.vcpus.end()) {
      if (!went_backwards(vc.counters, it->counters))
        vc.counters = minus(vc.counters, it->counters);
      else
        out.reset = KmodReset::WentBackwards;
    }
    add(out.totals, vc.counters);
  }
  if (now.vcpus.empty()) out.totals = now.totals;  // a LIST_VMS record: nothing to subtract by
  // SPP counts are VM-wide; counters that went backwards were reset.
  if (now.spp && base.spp && !went_backwards(*now.spp, *base.spp)) out.spp = minus(*now.spp, *base.spp);
  if (now.drops && base.drops) {
    if (!went_backwards(*now.drops, *base.drops))
      out.drops = minus(*now.drops, *base.drops);
    else
      out.reset = KmodReset::WentBackwards;
  }
  if (now.unattributed && base.unattributed && *now.unattributed >= *base.unattributed)
    out.unattributed = *now.unattributed - *base.unattributed;
  return out;
}

DirtyStats kmod_to_dirty_stats(const std::vector<KmodVm>& vms,
                               const std::function<pid_t(std::uint32_t)>& process_of) {
  DirtyStats out;
  out.source = "kmod";
  for (const KmodVm& vm : vms) {
    const pid_t pid = process_of ? process_of(vm.pid) : static_cast<pid_t>(vm.pid);
    // Several VMs of one process (or two VMs whose creating threads belong
    // to one process) become one VmStats: DirtyStats is keyed by process,
    // as the BPF source sees it. Their vCPUs with the same id add up.
    VmStats& v = out.vms[pid];
    v.pid = pid;
    add_counted(v.spp, vm.spp);
    add_counted(v.drops, vm.drops);
    for (const KmodVcpu& vc : vm.vcpus) v.vcpus[static_cast<int>(vc.id)] += to_vcpu_counters(vc.counters);
    // A LIST_VMS record has only totals; keep them rather than drop them.
    if (vm.vcpus.empty() && vm.totals != KmodCounters{})
      v.vcpus[kUnknownVcpu] += to_vcpu_counters(vm.totals);
  }
  return out;
}

namespace {

// kmod_since's module-wide counterpart: nullopt if the generation moved
// (reset by another reader; count from zero), else now - base.
std::optional<KmodModule> kmod_module_since(const KmodModule& now, const KmodModule& base) {
  if (now.reset_gen != base.reset_gen || went_backwards(now.drops, base.drops) ||
      now.unattributed < base.unattributed)
    return std::nullopt;
  return KmodModule{.reset_gen = now.reset_gen,
                    .drops = minus(now.drops, base.drops),
                    .unattributed = now.unattributed - base.unattributed};
}

// A baseline of zero in `vm`'s generation: after someone else's reset,
// what the VM reports is what happened since, once.
KmodVm zero_baseline(const KmodVm& vm) {
  KmodVm z = vm;
  z.totals = KmodCounters{};
  for (KmodVcpu& vc : z.vcpus) vc.counters = KmodCounters{};
  if (z.spp) z.spp = SppCounters{};
  if (z.drops) z.drops = DropCounters{};
  if (z.unattributed) z.unattributed = 0;
  return z;
}

void note(KmodBaseline& base, std::string what) {
  if (std::find(base.inexact.begin(), base.inexact.end(), what) == base.inexact.end())
    base.inexact.push_back(std::move(what));
}

}  // namespace

DirtyStats kmod_snapshot(std::vector<KmodVm> now, const std::optional<KmodModule>& module, KmodBaseline& base,
                         const std::function<pid_t(std::uint32_t)>& process_of) {
  std::map<std::uint64_t, KmodVm> still;
  for (KmodVm& vm : now) {
    const auto it = base.vms.find(vm.id);
    if (it == base.vms.end()) continue;
    KmodVm since = kmod_since(vm, it->second);
    if (since.reset == KmodReset::Generation) {
      note(base, "VM " + vm.name + ": reset by another reader (generation " + std::to_string(*it->second.reset_gen) +
                     " -> " + std::to_string(*vm.reset_gen) + "), counted since that reset");
      it->second = zero_baseline(vm);
    } else if (since.reset == KmodReset::WentBackwards) {
      note(base, "VM " + vm.name + ": counters went backwards (reset by another reader), counted since that reset");
    }
    vm = std::move(since);
    still.insert(base.vms.extract(it));
  }
  // Baselines of destroyed VMs are dropped: their ids never come back.
  base.vms = std::move(still);
  DirtyStats out = kmod_to_dirty_stats(now, process_of);
  if (module && base.module) {
    std::optional<KmodModule> since = kmod_module_since(*module, *base.module);
    if (!since) {
      note(base, "module-wide counters reset by another reader (generation " + std::to_string(base.module->reset_gen) +
                     " -> " + std::to_string(module->reset_gen) + "), counted since that reset");
      base.module = KmodModule{.reset_gen = module->reset_gen, .drops = {}, .unattributed = 0};
      since = module;
    }
    out.drops = since->drops;
  }
  out.inexact = base.inexact;
  return out;
}

}  // namespace dirtyscope::stats
