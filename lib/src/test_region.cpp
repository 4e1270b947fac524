#include "dirtyscope/test_region.hpp"

#include <stdexcept>

#include "dirtyscope/page.hpp"

namespace dirtyscope {

TestRegion::TestRegion(HostMemory memory, uint64_t gpa, uint32_t nslots, uint32_t first_slot_id)
    : memory_(std::move(memory)), gpa_(gpa), pages_(memory_.size() / kPageSize) {
  if (nslots == 0 || pages_ % nslots != 0)
    throw std::invalid_argument("test region does not split evenly into memslots");
  uint64_t per_slot = pages_ / nslots;
  for (uint32_t i = 0; i < nslots; ++i) {
    uint64_t first = i * per_slot;
    slots_.push_back(RegionSlot{first_slot_id + i, gpa_ + first * kPageSize, first, per_slot,
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
  return slots_.at(region_page / slots_.front().pages);
}

}  // namespace dirtyscope
