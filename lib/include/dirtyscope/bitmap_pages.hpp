// Turns a KVM dirty bitmap (64-bit little-endian words, bit i = page i) into
// a list of page numbers: the step every bitmap consumer takes after
// KVM_GET_DIRTY_LOG before it can copy pages. The ring hands out pages one
// by one already; this is the bitmap interface's userspace cost.
#pragma once

#include <cstdint>

namespace dirtyscope {

// Entries past the result that bitmap_to_pages may use as scratch.
inline constexpr uint64_t kBitmapPagesSlack = 16;

// Writes first_page + i for every set bit i < nbits to `out`, in order, and
// returns how many. `out` needs room for the set bits plus
// kBitmapPagesSlack (nbits + kBitmapPagesSlack always suffices).
// Word at a time: zero words are skipped a cache line at a time, all-ones
// words are written as a run, others are flattened with countr_zero, 8
// candidates at a time without a per-bit branch.
uint64_t bitmap_to_pages(const uint64_t* bitmap, uint64_t nbits, uint64_t first_page, uint64_t* out);

// The same result bit by bit: the reference the tests compare against and
// the baseline the micro-benchmark shows the word-at-a-time path beside.
uint64_t bitmap_to_pages_bitwise(const uint64_t* bitmap, uint64_t nbits, uint64_t first_page,
                                 uint64_t* out);

}  // namespace dirtyscope
