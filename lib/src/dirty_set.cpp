#include "dirtyscope/dirty_set.hpp"

namespace dirtyscope {

void DirtySet::merge_bitmap(uint64_t first, const uint64_t* bitmap, uint64_t npages) {
  if (first % 64 == 0) {
    // Word-aligned (the usual case: slots start on 64-page boundaries).
    uint64_t full = npages / 64;
    for (uint64_t i = 0; i < full; ++i) words_[first / 64 + i] |= bitmap[i];
    for (uint64_t p = full * 64; p < npages; ++p)
      if ((bitmap[p / 64] >> (p % 64)) & 1) set(first + p);
    return;
  }
  for (uint64_t w = 0; w < (npages + 63) / 64; ++w) {
    uint64_t bits = bitmap[w];
    while (bits) {
      uint64_t p = w * 64 + static_cast<uint64_t>(std::countr_zero(bits));
      bits &= bits - 1;
      if (p < npages) set(first + p);
    }
  }
}

uint64_t DirtySet::next_set(uint64_t from) const {
  for (uint64_t w = from / 64; w < words_.size(); ++w) {
    uint64_t bits = words_[w];
    if (w == from / 64) bits &= ~0ULL << (from % 64);
    if (bits) {
      uint64_t p = w * 64 + static_cast<uint64_t>(std::countr_zero(bits));
      return p < pages_ ? p : pages_;
    }
  }
  return pages_;
}

}  // namespace dirtyscope
