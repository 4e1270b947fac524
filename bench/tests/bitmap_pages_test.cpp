// bitmap_to_pages must list exactly the set bits below nbits, in order,
// offset by first_page, whatever the bitmap's shape: compared against the
// bit-by-bit reference on shapes that hit each of its paths.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "dirtyscope/bitmap_pages.hpp"

using namespace dirtyscope;

namespace {
std::vector<uint64_t> convert(const std::vector<uint64_t>& bm, uint64_t nbits, uint64_t first,
                              uint64_t (*f)(const uint64_t*, uint64_t, uint64_t, uint64_t*)) {
  std::vector<uint64_t> out(nbits + 64);
  out.resize(f(bm.data(), nbits, first, out.data()));
  return out;
}

void expect_same(const std::vector<uint64_t>& bm, uint64_t nbits, uint64_t first) {
  EXPECT_EQ(convert(bm, nbits, first, bitmap_to_pages), convert(bm, nbits, first, bitmap_to_pages_bitwise))
      << "nbits " << nbits;
}
}  // namespace

TEST(BitmapToPages, Empty) {
  std::vector<uint64_t> bm(100, 0);
  EXPECT_TRUE(convert(bm, 6400, 0, bitmap_to_pages).empty());
}

TEST(BitmapToPages, SingleBitsAndOffset) {
  std::vector<uint64_t> bm(20, 0);
  bm[0] = 1;                 // page 0
  bm[9] = 1ULL << 63;        // page 639: inside an 8-word block
  bm[17] = 1ULL << 5;        // page 1093: in the word-by-word tail
  EXPECT_EQ(convert(bm, 20 * 64, 1000, bitmap_to_pages), (std::vector<uint64_t>{1000, 1639, 2093}));
}

TEST(BitmapToPages, AllOnesWordsAreRuns) {
  std::vector<uint64_t> bm(16, ~0ULL);
  auto pages = convert(bm, 16 * 64, 5, bitmap_to_pages);
  ASSERT_EQ(pages.size(), 1024u);
  for (uint64_t i = 0; i < pages.size(); ++i) EXPECT_EQ(pages[i], 5 + i);
}

TEST(BitmapToPages, BitsPastTheEndAreNotPages) {
  std::vector<uint64_t> bm(2, ~0ULL);  // 128 bits set, only 70 are pages
  auto pages = convert(bm, 70, 0, bitmap_to_pages);
  ASSERT_EQ(pages.size(), 70u);
  EXPECT_EQ(pages.back(), 69u);
}

TEST(BitmapToPages, MatchesBitwiseOnRandomBitmaps) {
  std::mt19937_64 rng(7);
  for (uint64_t nbits : {1ULL, 63ULL, 64ULL, 65ULL, 511ULL, 512ULL, 513ULL, 4096ULL, 100003ULL}) {
    for (double density : {0.0001, 0.01, 0.5, 0.99, 1.0}) {
      std::vector<uint64_t> bm((nbits + 63) / 64, 0);
      std::bernoulli_distribution bit(density);
      for (uint64_t i = 0; i < bm.size() * 64; ++i)  // also beyond nbits
        if (bit(rng)) bm[i / 64] |= 1ULL << (i % 64);
      expect_same(bm, nbits, 12345);
    }
  }
}
