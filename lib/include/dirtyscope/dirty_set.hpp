// A set of pages of the test region, one bit per page, in the layout KVM
// uses for dirty bitmaps (64-bit little-endian words, bit i = page i).
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace dirtyscope {

class DirtySet {
 public:
  explicit DirtySet(uint64_t pages = 0) : pages_(pages), words_((pages + 63) / 64, 0) {}

  uint64_t pages() const { return pages_; }
  bool test(uint64_t page) const { return (words_[page / 64] >> (page % 64)) & 1; }
  void set(uint64_t page) { words_[page / 64] |= 1ULL << (page % 64); }
  void reset(uint64_t page) { words_[page / 64] &= ~(1ULL << (page % 64)); }
  void clear() { std::fill(words_.begin(), words_.end(), 0); }
  uint64_t count() const {
    uint64_t n = 0;
    for (uint64_t w : words_) n += static_cast<uint64_t>(std::popcount(w));
    return n;
  }
  // ORs a KVM slot bitmap of `npages` bits into this set at page `first`.
  void merge_bitmap(uint64_t first, const uint64_t* bitmap, uint64_t npages);
  // First set page at or after `from`, or pages() when none.
  uint64_t next_set(uint64_t from) const;

  uint64_t* words() { return words_.data(); }
  const uint64_t* words() const { return words_.data(); }

 private:
  uint64_t pages_;
  std::vector<uint64_t> words_;
};

}  // namespace dirtyscope
