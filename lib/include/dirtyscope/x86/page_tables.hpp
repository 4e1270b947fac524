// Builds x86-64 4-level identity page tables in a pool of guest pages,
// using 2 MiB pages wherever alignment allows and 4 KiB pages elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dirtyscope::x86 {

class PageTableBuilder {
 public:
  // Tables are placed at guest physical pool_gpa, pool_gpa + 4K, ...
  explicit PageTableBuilder(uint64_t pool_gpa);

  // Identity-maps [gpa, gpa + size), user-accessible and writable.
  void identity_map(uint64_t gpa, uint64_t size);

  uint64_t root_gpa() const { return pool_gpa_; }  // CR3
  uint64_t pool_bytes() const { return tables_.size() * 4096; }
  // Copies the tables into guest memory that maps guest physical 0 at `base`.
  void write_to(uint8_t* guest_phys_base) const;

 private:
  using Table = std::vector<uint64_t>;  // 512 entries
  uint64_t table_gpa(size_t index) const { return pool_gpa_ + index * 4096; }
  size_t child(size_t table, unsigned index);  // next-level table, created on demand

  uint64_t pool_gpa_;
  std::vector<Table> tables_;
};

}  // namespace dirtyscope::x86
