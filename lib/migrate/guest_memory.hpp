// All of a GuestVm's memory as one array of pages, the migration stream's
// address space: the system slot's pages first (index = gfn), then the
// test region's (index = system pages + region page).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dirtyscope/guest_vm.hpp"

namespace dirtyscope::migrate {

using Sha256 = std::array<uint8_t, 32>;
std::string hex_digest(const Sha256& d);

class GuestMemory {
 public:
  explicit GuestMemory(GuestVm& guest);

  uint64_t pages() const { return system_pages_ + region_pages_; }
  uint64_t system_pages() const { return system_pages_; }
  uint64_t index_of_region_page(uint64_t region_page) const { return system_pages_ + region_page; }
  bool is_system(uint64_t index) const { return index < system_pages_; }
  uint64_t gfn(uint64_t index) const;
  uint8_t* page(uint64_t index) const;

  // SHA-256 of every page, and of all memory in page order.
  std::vector<Sha256> page_digests() const;
  Sha256 total_digest() const;

 private:
  uint8_t* system_;
  uint64_t system_pages_;
  uint8_t* region_;
  uint64_t region_pages_;
  uint64_t region_first_gfn_;
};

}  // namespace dirtyscope::migrate
