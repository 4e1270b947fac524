#include "dirtyscope/bitmap_pages.hpp"

#include <bit>

namespace dirtyscope {

namespace {
// Emits the set bits of one word whose first bit is page `base`.
inline uint64_t* emit_word(uint64_t bits, uint64_t base, uint64_t* out) {
  if (bits == ~0ULL) {
    // A fully dirty word (common in dense bitmaps): a run the compiler can
    // vectorise, instead of 64 countr_zero steps.
    for (uint64_t i = 0; i < 64; ++i) out[i] = base + i;
    return out + 64;
  }
  // Branch-light: a loop that stops at the last set bit mispredicts once
  // per word when densities vary. Write 8 candidates unconditionally (the
  // ones past the last set bit are scratch, overwritten by the next word)
  // and advance by the popcount; only words with more than 8 or 16 set bits
  // take a data-dependent branch. Hence the kBitmapPagesSlack of `out`.
  const auto count = static_cast<uint64_t>(std::popcount(bits));
  uint64_t* const next = out + count;
  for (int i = 0; i < 8; ++i) {
    out[i] = base + static_cast<uint64_t>(std::countr_zero(bits));
    bits &= bits - 1;
  }
  if (count > 8) {
    for (int i = 8; i < 16; ++i) {
      out[i] = base + static_cast<uint64_t>(std::countr_zero(bits));
      bits &= bits - 1;
    }
    out += 16;
    while (bits) {
      *out++ = base + static_cast<uint64_t>(std::countr_zero(bits));
      bits &= bits - 1;
    }
  }
  return next;
}
}  // namespace

uint64_t bitmap_to_pages(const uint64_t* bitmap, uint64_t nbits, uint64_t first_page, uint64_t* out) {
  uint64_t* const start = out;
  const uint64_t full_words = nbits / 64;
  uint64_t w = 0;
  // Sparse bitmaps are mostly zero: test 8 words (one cache line) at a
  // time so the scan runs at memory speed rather than one branch per word.
  constexpr uint64_t kBlock = 8;
  for (; w + kBlock <= full_words; w += kBlock) {
    uint64_t any = 0;
    for (uint64_t i = 0; i < kBlock; ++i) any |= bitmap[w + i];
    if (!any) continue;
    // No per-word test here: at around 1 % dirty half the words of a
    // non-zero line are zero, an unpredictable branch; emit_word on a zero
    // word writes only scratch and advances by nothing.
    for (uint64_t i = 0; i < kBlock; ++i) out = emit_word(bitmap[w + i], first_page + (w + i) * 64, out);
  }
  for (; w < full_words; ++w)
    if (bitmap[w]) out = emit_word(bitmap[w], first_page + w * 64, out);
  if (const uint64_t tail = nbits % 64) {
    // Bits past nbits in the last word are not pages: mask them off.
    const uint64_t bits = bitmap[full_words] & ((1ULL << tail) - 1);
    out = emit_word(bits, first_page + full_words * 64, out);
  }
  return static_cast<uint64_t>(out - start);
}

uint64_t bitmap_to_pages_bitwise(const uint64_t* bitmap, uint64_t nbits, uint64_t first_page,
                                 uint64_t* out) {
  uint64_t n = 0;
  for (uint64_t i = 0; i < nbits; ++i)
    if ((bitmap[i / 64] >> (i % 64)) & 1) out[n++] = first_page + i;
  return n;
}

}  // namespace dirtyscope
