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

const RegionSlot& TestRegion::slot_of(uint64_t region_page) const {
  if (region_page >= pages_) throw std::out_of_range("region page beyond the test region");
  // Slots are in page order and tile the region (also after replace_slots).
  auto after = std::upper_bound(slots_.begin(), slots_.end(), region_page,
                                [](uint64_t page, const RegionSlot& s) { return page < s.first_page; });
  return *(after - 1);
}

void TestRegion::replace_slots(std::vector<RegionSlot> slots) {
  uint64_t next = 0;
  for (const auto& s : slots) {
    if (s.first_page != next || s.pages == 0 || s.gpa != gpa_ + s.first_page * kPageSize ||
        s.host != memory_.data() + s.first_page * kPageSize)
      throw std::invalid_argument("replacement memslots do not tile the test region in order");
    next += s.pages;
  }
  if (next != pages_) throw std::invalid_argument("replacement memslots do not cover the test region");
  slots_ = std::move(slots);
}

}  // namespace dirtyscope
