// The guest memory under test: one host allocation split into N memslots
// placed back to back in guest physical memory. Pages are numbered across
// the whole region ("region page"), which is how the verifier sees them.
#pragma once

#include <cstdint>
#include <vector>

#include "dirtyscope/host_memory.hpp"

namespace dirtyscope {

struct RegionSlot {
  uint32_t slot;        // KVM memslot id
  uint64_t gpa;         // guest physical start
  uint64_t first_page;  // region page of its first page
  uint64_t pages;
  uint8_t* host;
};

class TestRegion {
 public:
  // Splits `memory` into `nslots` slots (ids first_slot_id, ...), the first
  // at guest physical `gpa`: each a whole number of `slot_unit_pages` (the
  // backing's page size), all of one size but the last, which takes the
  // rest. So a size that is no multiple of 64 pages gives slots that end
  // inside a bitmap word, as the kernel's own test does.
  TestRegion(HostMemory memory, uint64_t gpa, uint32_t nslots, uint32_t first_slot_id,
             uint64_t slot_unit_pages = 1);

  uint64_t pages() const { return pages_; }
  uint64_t gpa() const { return gpa_; }
  uint64_t size() const { return memory_.size(); }
  const std::vector<RegionSlot>& slots() const { return slots_; }
  const RegionSlot& slot_of(uint64_t region_page) const;
  // SppModel split or merged the memslots: the new ones, in page order,
  // tiling the region. Collectors read slots() at every collection.
  void replace_slots(std::vector<RegionSlot> slots);
  uint64_t gfn_of(uint64_t region_page) const { return gpa_ / 4096 + region_page; }
  uint8_t* host() const { return memory_.data(); }

 private:
  HostMemory memory_;
  uint64_t gpa_;
  uint64_t pages_;
  std::vector<RegionSlot> slots_;
};

}  // namespace dirtyscope
