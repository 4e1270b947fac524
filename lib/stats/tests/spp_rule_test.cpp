// The SPP rule as the BPF program runs it (bpf/spp_stats.h, compiled here
// by g++ from the same header) against a plain loop over sub-pages, and the
// range checks both SPP sources apply before touching the module or map.
#include <gtest/gtest.h>
#include <linux/dirtyscope.h>
#include <linux/types.h>

#include <cstdint>
#include <random>
#include <stdexcept>

#include "spp_sources.hpp"

extern "C" {
#include "spp_stats.h"
}

namespace dirtyscope::stats {
namespace {

// The rule in words: every 128-byte sub-page of the page that the write
// touches has its bit set. Bytes past the page end belong to the next
// page's kvm_mmio event, not to this one.
bool reference_allows(std::uint32_t vector, std::uint64_t gpa, std::uint32_t len) {
  const std::uint64_t off = gpa % 4096;
  for (std::uint64_t byte = off; byte < off + len && byte < 4096; ++byte)
    if (!(vector & (1u << (byte / 128)))) return false;
  return true;
}

TEST(SppRule, MatchesTheReferenceForEveryOffsetAndLength) {
  std::mt19937 rng(20261130);
  std::vector<std::uint32_t> vectors = {0, 0xffffffffu, 0x55555555u, 0xaaaaaaaau, 0x80000001u, 0x7ffffffeu};
  for (int i = 0; i < 8; ++i) vectors.push_back(static_cast<std::uint32_t>(rng()));
  for (std::uint32_t v : vectors)
    for (std::uint64_t off = 0; off < 4096; ++off)
      for (std::uint32_t len : {1u, 2u, 3u, 4u, 8u, 16u, 64u, 127u, 128u, 129u, 256u, 4096u}) {
        const std::uint64_t gpa = 0x10000 + off;
        ASSERT_EQ(ds_spp_allows(v, gpa, len) != 0, reference_allows(v, gpa, len))
            << std::hex << "vector 0x" << v << " gpa 0x" << gpa << std::dec << " len " << len;
      }
}

TEST(SppRule, StraddlingWritesNeedBothSubPages) {
  const std::uint64_t page = 0x7000;
  // Sub-page 0 writable, 1 not: a 2-byte store at 0x7f touches both.
  EXPECT_TRUE(ds_spp_allows(0x1, page + 0x7e, 2));
  EXPECT_FALSE(ds_spp_allows(0x1, page + 0x7f, 2));
  EXPECT_TRUE(ds_spp_allows(0x3, page + 0x7f, 2));
  // Only sub-page 1 writable: a write inside it passes, one ending in 2 not.
  EXPECT_TRUE(ds_spp_allows(0x2, page + 0x80, 128));
  EXPECT_FALSE(ds_spp_allows(0x2, page + 0x80, 129));
  // The last sub-page (bit 31), and the clamp at the page end.
  EXPECT_TRUE(ds_spp_allows(0x80000000u, page + 0xff8, 8));
  EXPECT_TRUE(ds_spp_allows(0x80000000u, page + 0xffe, 4)) << "bytes past the page are the next event's";
  EXPECT_FALSE(ds_spp_allows(0x7fffffffu, page + 0xfff, 1));
  // The gfn does not matter, only the offset in the page.
  EXPECT_EQ(ds_spp_allows(0x10, 0x123456789000ull + 0x200, 4), ds_spp_allows(0x10, 0x200, 4));
}

TEST(SppRule, ConstantsMatchTheUapi) {
  EXPECT_EQ(DS_SPP_SUBPAGE_SIZE, DIRTYSCOPE_SPP_SUBPAGE_SIZE);
  EXPECT_EQ(DS_SPP_FULL_ACCESS, DIRTYSCOPE_SPP_FULL_ACCESS);
  EXPECT_EQ(DS_SPP_MAX_PAGES, DIRTYSCOPE_SPP_MAX_PAGES);
}

TEST(SppRanges, SplitAtTheModulesPerRequestLimit) {
  EXPECT_EQ(spp_request_ranges(16, 2), (std::vector<SppRange>{{16, 2}}));
  EXPECT_EQ(spp_request_ranges(0, DIRTYSCOPE_SPP_MAX_PAGES),
            (std::vector<SppRange>{{0, DIRTYSCOPE_SPP_MAX_PAGES}}));
  EXPECT_EQ(spp_request_ranges(5, DIRTYSCOPE_SPP_MAX_PAGES * 2ull + 3),
            (std::vector<SppRange>{{5, DIRTYSCOPE_SPP_MAX_PAGES},
                                   {5 + DIRTYSCOPE_SPP_MAX_PAGES, DIRTYSCOPE_SPP_MAX_PAGES},
                                   {5 + 2ull * DIRTYSCOPE_SPP_MAX_PAGES, 3}}));
}

TEST(SppRanges, RejectEmptyAndOutOfRange) {
  const std::uint64_t limit = 1ull << 40;  // gfns of a 52-bit address space
  EXPECT_THROW(spp_request_ranges(16, 0), std::invalid_argument);
  EXPECT_NO_THROW(spp_request_ranges(limit - 1, 1));
  EXPECT_THROW(spp_request_ranges(limit - 1, 2), std::invalid_argument);
  EXPECT_THROW(spp_request_ranges(limit, 1), std::invalid_argument);
  // gfn + npages would wrap around 2^64: still refused, not accepted.
  EXPECT_THROW(spp_request_ranges(~0ull, 2), std::invalid_argument);
  EXPECT_THROW(spp_request_ranges(1, ~0ull), std::invalid_argument);
}

TEST(SppSourceFactory, UnknownNamesAreRefused) {
  EXPECT_THROW(make_spp_stats_source("module", 1, 3), std::invalid_argument);
  EXPECT_THROW(make_spp_stats_source("", 1, 3), std::invalid_argument);
}

}  // namespace
}  // namespace dirtyscope::stats
