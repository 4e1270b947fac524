#include "dirtyscope/collector.hpp"

#include "dirtyscope/bitmap_collector.hpp"
#include "dirtyscope/error.hpp"

namespace dirtyscope {

namespace {
struct InjectionName {
  Injection kind;
  const char* name;
};
constexpr InjectionName kInjections[] = {
    {Injection::None, "none"},           {Injection::DropDirty, "drop-dirty"},
    {Injection::SkipClear, "skip-clear"}, {Injection::SkipReset, "skip-reset"},
    {Injection::WrongSlot, "wrong-slot"},
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

std::optional<uint64_t> Collector::finish_iteration(DirtySet& reported) {
  if (injection_ != Injection::DropDirty) return std::nullopt;
  uint64_t page = reported.next_set(0);
  if (page == reported.pages()) return std::nullopt;
  reported.reset(page);
  return page;
}

void Collector::on_ring_full(Vcpu& vcpu) {
  throw CollectorError("vCPU " + std::to_string(vcpu.id()) +
                       ": KVM_EXIT_DIRTY_RING_FULL in mode " + mode() + ", which has no ring");
}

const std::vector<ModeInfo>& all_modes() {
  static const std::vector<ModeInfo> modes = {
      {"dirty-log", "KVM_GET_DIRTY_LOG: fetch and re-protect in one call"},
      {"clear-log", "KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG in chunks (MANUAL_DIRTY_LOG_PROTECT2)"},
  };
  return modes;
}

bool is_mode(std::string_view name) {
  for (const auto& m : all_modes())
    if (name == m.name) return true;
  return false;
}

std::unique_ptr<Collector> make_collector(std::string_view mode, Injection injection,
                                          uint32_t ring_entries, uint64_t seed) {
  (void)ring_entries;
  if (mode == "dirty-log") return std::make_unique<DirtyLogCollector>(injection);
  if (mode == "clear-log") return std::make_unique<ClearLogCollector>(injection, seed);
  throw UsageError("unknown mode '" + std::string(mode) + "'");
}

}  // namespace dirtyscope
