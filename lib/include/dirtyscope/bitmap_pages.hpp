// Turns a KVM dirty bitmap (64-bit little-endian words, bit i = page i) into
// a list of page numbers: the step every bitmap consumer takes after
// KVM_GET_DIRTY_LOG before it can copy pages. The ring hands out pages one
// by one already; this is the bitmap interface's userspace cost.
#pragma once

#include <cstdint>

namespace dirtyscope {

// Writes first_page + i for every set bit i < nbits to `out`, in order, and
// returns how many. `out` needs room for the set bits (at most nbits).
// Word at a time: runs of zero words cost a load and an OR each, all-ones
// words are written as a run, others walk their bits with countr_zero.
uint64_t bitmap_to_pages(const uint64_t* bitmap, uint64_t nbits, uint64_t first_page, uint64_t* out);

// The same result bit by bit: the reference the tests compare against and
// the baseline the micro-benchmark shows the word-at-a-time path beside.
uint64_t bitmap_to_pages_bitwise(const uint64_t* bitmap, uint64_t nbits, uint64_t first_page,
                                 uint64_t* out);

}  // namespace dirtyscope
