#include "dirtyscope/collector.hpp"

#include "dirtyscope/bitmap_collector.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/ring_collector.hpp"
#include "dirtyscope/text_list.hpp"

namespace dirtyscope {

namespace {
struct InjectionName {
  Injection kind;
  const char* name;
};
constexpr InjectionName kInjections[] = {
    {Injection::None, "none"},           {Injection::DropDirty, "drop-dirty"},
    {Injection::SkipClear, "skip-clear"}, {Injection::SkipReset, "skip-reset"},
    {Injection::WrongSlot, "wrong-slot"}, {Injection::HideRing, "hide-ring"},
};
}  // namespace

std::optional<Injection> parse_injection(std::string_view name) {
  for (const auto& i : kInjections)
    if (name == i.name) return i.kind;
  return std::nullopt;
}

const char* injection_name(Injection injection) {
  for (const auto& i : kInjections)
    if (injection == i.kind) return i.name;
  return "?";
}

std::optional<uint64_t> FaultInjector::drop(DirtySet& reported) {
  if (injection_ != Injection::DropDirty) return std::nullopt;
  uint64_t page = reported.next_set(0);
  if (page == reported.pages()) return std::nullopt;
  reported.reset(page);
  fire();
  return page;
}

CollectSchedule Collector::eager_;

uint64_t* Collector::get_dirty_log(size_t i) {
  const RegionSlot& slot = region_->slots()[i];
  if (bitmaps_.size() < region_->slots().size()) bitmaps_.resize(region_->slots().size());
  bitmaps_[i].resize((slot.pages + 63) / 64);  // KVM writes every word: no need to zero it
  in_kernel([&] { vm_->get_dirty_log(slot.slot, bitmaps_[i].data()); });
  return bitmaps_[i].data();
}

void Collector::on_ring_full(Vcpu& vcpu) {
  throw CollectorError("vCPU " + std::to_string(vcpu.id()) +
                       ": KVM_EXIT_DIRTY_RING_FULL in mode " + mode() + ", which has no ring");
}

const std::vector<ModeInfo>& all_modes() {
  static const std::vector<ModeInfo> modes = {
      {"dirty-log", "KVM_GET_DIRTY_LOG: fetch and re-protect in one call"},
      {"clear-log", "KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG in chunks (MANUAL_DIRTY_LOG_PROTECT2)"},
      {"dirty-ring", "KVM_CAP_DIRTY_LOG_RING harvested while vCPUs run, KVM_RESET_DIRTY_RINGS"},
      {"dirty-ring-wait", "dirty ring with a lagging collector; vCPUs with a full ring wait for it"},
      {"ring-with-bitmap", "KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP: ring plus backup bitmap"},
  };
  return modes;
}

bool is_mode(std::string_view name) {
  for (const auto& m : all_modes())
    if (name == m.name) return true;
  return false;
}

bool mode_accepts(std::string_view mode, Injection injection) {
  // The collector itself is the one authority on what it can do; building
  // one touches no kernel object.
  return make_collector(mode, injection, 0, 0)->faults().supports(injection);
}

std::string inapplicable_injection(std::string_view mode, Injection injection) {
  std::string accepting;
  for (const auto& m : all_modes())
    if (mode_accepts(m.name, injection)) append_item(accepting, ", ", m.name);
  return std::string("--inject ") + injection_name(injection) + " cannot fire in " + std::string(mode) + ": " +
         (accepting.empty() ? std::string("no mode has it") : "only " + accepting + " have it");
}

std::vector<std::string> modes_for_injection(const std::vector<std::string>& requested, bool all,
                                             Injection injection) {
  std::vector<std::string> out;
  for (const auto& m : requested) {
    if (mode_accepts(m, injection))
      out.push_back(m);
    else if (!all)
      throw UsageError(inapplicable_injection(m, injection));
  }
  if (out.empty())
    throw UsageError(std::string("--inject ") + injection_name(injection) + " cannot fire in any mode requested");
  return out;
}

uint32_t default_ring_entries(std::string_view mode) {
  // ring-wait wants vCPUs to fill their rings quickly: the smallest ring
  // KVM allows (one page of 16-byte entries). Others: the kernel test's.
  return mode == "dirty-ring-wait" ? 256 : 65536;
}

bool is_ring_mode(std::string_view mode) {
  // As for mode_accepts, the collector decides: a mode with a ring has ring
  // entries (what the runner checks before it signals the resets).
  return make_collector(mode, Injection::None, 0, 0)->ring_entries() != 0;
}

std::unique_ptr<Collector> make_collector(std::string_view mode, Injection injection,
                                          uint32_t ring_entries, uint64_t seed, bool soft_full) {
  if (ring_entries == 0) ring_entries = default_ring_entries(mode);
  if (soft_full && mode != "dirty-ring") throw SkipError("--soft-full applies to dirty-ring only, not " + std::string(mode));
  if (mode == "dirty-ring")
    return soft_full ? std::make_unique<RingCollector>(std::make_unique<OwnRingOnFull>(), injection, ring_entries)
                     : std::make_unique<RingCollector>(std::make_unique<HarvestOnFull>(), injection, ring_entries);
  if (mode == "dirty-ring-wait")
    return std::make_unique<RingCollector>(std::make_unique<WaitOnFull>(), injection, ring_entries);
  if (mode == "ring-with-bitmap") return std::make_unique<RingWithBitmapCollector>(injection, ring_entries);
  if (mode == "dirty-log") return std::make_unique<DirtyLogCollector>(injection);
  if (mode == "clear-log") return std::make_unique<ClearLogCollector>(injection, seed);
  throw UsageError("unknown mode '" + std::string(mode) + "'");
}

}  // namespace dirtyscope
