#include "dirtyscope/test_region.hpp"

#include <algorithm>
#include <stdexcept>

#include "dirtyscope/page.hpp"

namespace dirtyscope {

TestRegion::TestRegion(HostMemory memory, uint64_t gpa, uint32_t nslots, uint32_t first_slot_id,
                       uint64_t slot_unit_pages)
    : memory_(std::move(memory)), gpa_(gpa), pages_(memory_.size() / kPageSize) {
  if (nslots == 0 || slot_unit_pages == 0 || pages_ % slot_unit_pages != 0 || pages_ / slot_unit_pages < nslots)
    throw std::invalid_argument("test region does not split into memslots of whole units");
  const uint64_t per_slot = pages_ / slot_unit_pages / nslots * slot_unit_pages;
  for (uint32_t i = 0; i < nslots; ++i) {
    const uint64_t first = i * per_slot;
    const uint64_t pages = i + 1 == nslots ? pages_ - first : per_slot;
    slots_.push_back(RegionSlot{first_slot_id + i, gpa_ + first * kPageSize, first, pages,
                                memory_.data() + first * kPageSize});
  }
}

const RegionSlot* TestRegion::find_slot(uint32_t slot_id) const {
  for (const auto& s : slots_)
    if (s.slot == slot_id) return &s;
  return nullptr;
}

std::optional<uint64_t> TestRegion::region_page(uint32_t slot_id, uint64_t offset) const {
  const RegionSlot* s = find_slot(slot_id);
  if (!s || offset >= s->pages) return std::nullopt;
  return s->first_page + offset;
}

const RegionSlot& TestRegion::slot_of(uint64_t region_page) const {
  // Every slot but the last has the first one's size.
  const uint64_t i = std::min<uint64_t>(region_page / slots_.front().pages, slots_.size() - 1);
  if (region_page >= pages_) throw std::out_of_range("region page beyond the test region");
  return slots_[i];
}

}  // namespace dirtyscope
