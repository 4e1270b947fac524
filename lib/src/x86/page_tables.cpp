#include "dirtyscope/x86/page_tables.hpp"

#include <cstring>
#include <stdexcept>

namespace dirtyscope::x86 {

namespace {
constexpr uint64_t kPresent = 1ULL << 0;
constexpr uint64_t kWritable = 1ULL << 1;
constexpr uint64_t kUser = 1ULL << 2;
constexpr uint64_t kHuge = 1ULL << 7;
constexpr uint64_t kFlags = kPresent | kWritable | kUser;
constexpr uint64_t kAddrMask = 0x000ffffffffff000ULL;
constexpr uint64_t k2M = 2ULL << 20;
constexpr uint64_t k4K = 4096;

unsigned index_at(uint64_t addr, unsigned level) {  // level 4 = PML4 ... 1 = PT
  return static_cast<unsigned>((addr >> (12 + 9 * (level - 1))) & 511);
}
}  // namespace

PageTableBuilder::PageTableBuilder(uint64_t pool_gpa) : pool_gpa_(pool_gpa) {
  tables_.emplace_back(512, 0);  // PML4
}

size_t PageTableBuilder::child(size_t table, unsigned index) {
  uint64_t& entry = tables_[table][index];
  if (entry & kPresent) {
    if (entry & kHuge) throw std::logic_error("page table: range overlaps a huge mapping");
    return static_cast<size_t>(((entry & kAddrMask) - pool_gpa_) / 4096);
  }
  tables_.emplace_back(512, 0);
  size_t idx = tables_.size() - 1;
  // Re-index: emplace_back may have moved tables_, so take the entry again.
  tables_[table][index] = table_gpa(idx) | kFlags;
  return idx;
}

void PageTableBuilder::identity_map(uint64_t gpa, uint64_t size) {
  if ((gpa | size) & (k4K - 1)) throw std::invalid_argument("page table: range not 4 KiB aligned");
  uint64_t addr = gpa;
  const uint64_t end = gpa + size;
  while (addr < end) {
    size_t pdpt = child(0, index_at(addr, 4));
    size_t pd = child(pdpt, index_at(addr, 3));
    if ((addr & (k2M - 1)) == 0 && end - addr >= k2M) {
      tables_[pd][index_at(addr, 2)] = addr | kFlags | kHuge;
      addr += k2M;
      continue;
    }
    size_t pt = child(pd, index_at(addr, 2));
    tables_[pt][index_at(addr, 1)] = addr | kFlags;
    addr += k4K;
  }
}

void PageTableBuilder::write_to(uint8_t* guest_phys_base) const {
  for (size_t i = 0; i < tables_.size(); ++i)
    std::memcpy(guest_phys_base + table_gpa(i), tables_[i].data(), 4096);
}

}  // namespace dirtyscope::x86
