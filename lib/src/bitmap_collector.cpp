#include "dirtyscope/bitmap_collector.hpp"

#include <algorithm>

#include "dirtyscope/error.hpp"
#include "dirtyscope/kvm_abi.hpp"

namespace dirtyscope {

namespace {
// Index of the first set bit among `pages` bits, if any.
std::optional<uint64_t> first_set_bit(const uint64_t* bitmap, uint64_t pages) {
  for (uint64_t w = 0; w < (pages + 63) / 64; ++w)
    if (bitmap[w]) {
      uint64_t bit = w * 64 + static_cast<uint64_t>(__builtin_ctzll(bitmap[w]));
      return bit < pages ? std::optional(bit) : std::nullopt;
    }
  return std::nullopt;
}
}  // namespace

void DirtyLogCollector::do_collect(DirtySet& into, Phase phase) {
  const auto& slots = region_->slots();
  if (phase == Phase::Paused) ++paused_collections_;
  // SkipClear: iteration 2's last collection (the 3rd paused one, after the
  // one before iteration 1 and iteration 1's) returns iteration 1's bitmap.
  const bool use_stale = faults_.is(Injection::SkipClear) && paused_collections_ == 3;
  if (use_stale) faults_.fire();
  for (size_t i = 0; i < slots.size(); ++i) {
    const uint64_t* fetched = get_dirty_log(i);
    into.merge_bitmap(slots[i].first_page, use_stale ? previous_[i].data() : fetched, slots[i].pages);
  }
  if (phase == Phase::Paused && faults_.is(Injection::SkipClear)) previous_ = bitmaps_;
}

void ClearLogCollector::prepare_vm(Vm& vm) {
  int cap = vm.check_extension(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
  if (cap == 0) throw SkipError("KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 not supported");
  initially_all_dirty_ = (cap & KVM_DIRTY_LOG_INITIALLY_SET) != 0;
  vm.enable_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
                KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | (cap & KVM_DIRTY_LOG_INITIALLY_SET));
}

void ClearLogCollector::do_collect(DirtySet& into, Phase phase) {
  const auto& slots = region_->slots();
  for (size_t i = 0; i < slots.size(); ++i) {
    uint64_t* bitmap = get_dirty_log(i);
    into.merge_bitmap(slots[i].first_page, bitmap, slots[i].pages);
    // SkipClear: from iteration 1's last collection on, the first page it
    // reported is never cleared, so KVM never write-protects it again.
    if (faults_.is(Injection::SkipClear) && !never_cleared_ && phase == Phase::Paused &&
        counters_.collections > 1) {
      if (auto bit = first_set_bit(bitmap, slots[i].pages)) {
        never_cleared_ = slots[i].first_page + *bit;
        faults_.fire();
      }
    }
    if (never_cleared_ && region_->slot_of(*never_cleared_).slot == slots[i].slot) {
      uint64_t local = *never_cleared_ - slots[i].first_page;
      bitmap[local / 64] &= ~(1ULL << (local % 64));
    }
    clear_in_chunks(slots[i], bitmap);
  }
}

void ClearLogCollector::clear_in_chunks(const RegionSlot& slot, uint64_t* bitmap) {
  if (chunks_ == Chunks::WholeSlot) {
    in_kernel([&] { vm_->clear_dirty_log(slot.slot, 0, static_cast<uint32_t>(slot.pages), bitmap); });
    return;
  }
  std::uniform_int_distribution<uint64_t> chunk_words(1, 64);  // 64 .. 4096 pages
  uint64_t first = 0;
  while (first < slot.pages) {
    uint64_t n = std::min(chunk_words(rng_) * 64, slot.pages - first);
    bool any = std::any_of(bitmap + first / 64, bitmap + (first + n + 63) / 64,
                           [](uint64_t w) { return w != 0; });
    if (any)
      in_kernel([&] { vm_->clear_dirty_log(slot.slot, first, static_cast<uint32_t>(n), bitmap + first / 64); });
    first += n;
  }
}

}  // namespace dirtyscope
