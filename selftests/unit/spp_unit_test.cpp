// SPP's rule, vector bookkeeping, store plan and expectations, without KVM.
#include <gtest/gtest.h>

#include <set>

#include "dirtyscope/collector.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/spp_vectors.hpp"
#include "dirtyscope/test_region.hpp"
#include "dirtyscope/spp/spp_expectation.hpp"
#include "spp_options.hpp"
#include "testing/argv.hpp"

using namespace dirtyscope;

TEST(SppRule, WriteInsideOneSubpageNeedsItsBit) {
  EXPECT_FALSE(spp_denied_subpage(1u << 3, 3 * 128 + 5, 8));
  EXPECT_EQ(spp_denied_subpage(~(1u << 3), 3 * 128 + 5, 8), 3u);
  EXPECT_FALSE(spp_denied_subpage(1u << 31, 4095, 1));
  EXPECT_EQ(spp_denied_subpage(0, 0, 1), 0u);
}

TEST(SppRule, StraddlingWriteNeedsBothBits) {
  // 4 bytes at 126: sub-pages 0 and 1.
  EXPECT_FALSE(spp_denied_subpage(0b11, 126, 4));
  EXPECT_EQ(spp_denied_subpage(0b01, 126, 4), 1u);
  EXPECT_EQ(spp_denied_subpage(0b10, 126, 4), 0u);
  EXPECT_EQ(subpages_of(127, 2).first, 0u);
  EXPECT_EQ(subpages_of(127, 2).last, 1u);
}

TEST(SppRule, WriteOutsideThePageIsRejected) {
  EXPECT_THROW(subpages_of(4095, 2), std::invalid_argument);
  EXPECT_THROW(subpages_of(0, 0), std::invalid_argument);
}

TEST(SppVectors, FullAccessUnprotects) {
  SppVectors v;
  v.set(100, 3, 0x1234);
  EXPECT_EQ(v.protected_pages(), 3u);
  EXPECT_EQ(v.get(101), 0x1234u);
  v.set(101, 1, kSppFullAccess);
  EXPECT_FALSE(v.is_protected(101));
  EXPECT_EQ(v.get(101), kSppFullAccess);
  EXPECT_EQ(v.get(100, 3), (std::vector<uint32_t>{0x1234, kSppFullAccess, 0x1234}));
}

TEST(SppVectors, RunsAlternateAndCoverTheRange) {
  SppVectors v;
  v.set(8, 1, 0);   // at the range's start
  v.set(10, 2, 0);  // 10, 11
  v.set(15, 3, 7);  // 15..17: runs past the range's end
  v.set(30, 1, 7);  // outside
  const auto runs = v.runs(8, 10);  // 8..17
  const std::vector<SppRun> want = {{8, 1, true}, {9, 1, false}, {10, 2, true}, {12, 3, false}, {15, 3, true}};
  ASSERT_EQ(runs.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(runs[i].gfn, want[i].gfn) << i;
    EXPECT_EQ(runs[i].pages, want[i].pages) << i;
    EXPECT_EQ(runs[i].protected_, want[i].protected_) << i;
  }
  ASSERT_EQ(v.runs(40, 5).size(), 1u);
  EXPECT_FALSE(v.runs(40, 5)[0].protected_);
}

TEST(SppPlan, StructuredPartCoversEverySubpageAndSizeAndStraddles) {
  const SppRoundPlan plan{0x100000000, 2, 99, 3, 2 * DS_SPP_PLAN_PER_PAGE};
  std::set<std::tuple<uint64_t, uint32_t, uint32_t>> inside;  // page, sub-page, size
  uint64_t straddling = 0;
  for (uint64_t i = 0; i < plan.stores; ++i) {
    const ds_spp_store s = plan_store(plan, i);
    ASSERT_LT(s.page, 2u);
    ASSERT_LE(s.offset + s.size, 4096u) << i;
    const SubpageSpan span = subpages_of(s.offset, s.size);
    if (span.first == span.last) inside.insert({s.page, span.first, s.size});
    else ++straddling;
  }
  EXPECT_EQ(inside.size(), 2u * 32 * 4);  // every sub-page with every size, each page
  EXPECT_EQ(straddling, 2u * 31 * 3);     // 2, 4 and 8 bytes across each inner boundary
}

TEST(SppPlan, RandomStoresStayInsideThePage) {
  const SppRoundPlan plan{0, 3, 5, 1, 3 * DS_SPP_PLAN_PER_PAGE + 5000};
  for (uint64_t i = 3 * DS_SPP_PLAN_PER_PAGE; i < plan.stores; ++i) {
    const ds_spp_store s = plan_store(plan, i);
    ASSERT_LT(s.page, 3u);
    ASSERT_LE(s.offset + s.size, 4096u);
  }
}

TEST(SppExpectation, NoAccessDeniesEveryStoreAndKeepsMemory) {
  const SppRoundPlan plan{0x5000, 1, 1, 1, DS_SPP_PLAN_PER_PAGE + 100};
  std::vector<uint8_t> memory(4096, 0xee);
  const ExpectedRound e = expect_round(plan, memory, {0});
  EXPECT_EQ(e.violations.size(), plan.stores);
  EXPECT_EQ(e.allowed, 0u);
  EXPECT_EQ(e.memory, memory);
  EXPECT_EQ(e.read_sum, read_sum(memory));
  EXPECT_EQ(e.violations[0].gpa, 0x5000u + 16);  // store 0: 1 byte at 16 of sub-page 0
}

TEST(SppExpectation, FullAccessAppliesEveryStore) {
  const SppRoundPlan plan{0, 1, 1, 1, 300};
  std::vector<uint8_t> memory(4096, 0);
  const ExpectedRound e = expect_round(plan, memory, {kSppFullAccess});
  std::vector<uint8_t> applied = memory;
  for (uint64_t i = 0; i < plan.stores; ++i) apply_store(applied, plan_store(plan, i));
  EXPECT_EQ(e.memory, applied);
  EXPECT_EQ(e.untrapped, plan.stores);
  EXPECT_TRUE(e.violations.empty());
}

TEST(SppExpectation, OneClearBitDeniesExactlyTheStoresTouchingIt) {
  const SppRoundPlan plan{0, 1, 1, 1, DS_SPP_PLAN_PER_PAGE};
  const ExpectedRound e = expect_round(plan, std::vector<uint8_t>(4096, 0), {~(1u << 5)});
  // Sub-page 5: 4 stores inside, 3 straddling into 6, 3 straddling from 4.
  EXPECT_EQ(e.violations.size(), 10u);
  for (const auto& v : e.violations) EXPECT_EQ(v.subpage, 5u);
}

TEST(SppOptions, BadValuesAreUsageErrors) {
  using dirtyscope::testing::parse_args;
  using dirtyscope::testing::usage_error_of;
  EXPECT_NE(usage_error_of("spp_test", {"-v", "9"}, parse_spp_options).find("-v"), std::string::npos);
  EXPECT_NE(usage_error_of("spp_test", {"-g", "0"}, parse_spp_options).find("-g"), std::string::npos);
  EXPECT_NE(usage_error_of("spp_test", {"--inject", "nope"}, parse_spp_options).find("nope"), std::string::npos);
  EXPECT_NE(usage_error_of("spp_test", {"-u", "2"}, parse_spp_options).find("-u"), std::string::npos);
  EXPECT_NE(usage_error_of("spp_test", {"extra"}, parse_spp_options).find("extra"), std::string::npos);
  EXPECT_EQ(parse_args("spp_test", {"--inject", "drop-violation"}, parse_spp_options).injection,
            SppInjection::DropViolation);
  EXPECT_EQ(parse_args("spp_test", {"-v", "1", "-g", "8"}, parse_spp_options).pages_per_vcpu, 8u);
}

// Without dirty logging no one takes the pages the model wrote, so leaving
// one out cannot be noticed: a usage error, not a run that passes.
TEST(SppOptions, ForgetAppliedPageNeedsDirtyLogging) {
  using dirtyscope::testing::parse_args;
  using dirtyscope::testing::usage_error_of;
  EXPECT_EQ(usage_error_of("spp_test", {"--inject", "forget-applied-page"}, parse_spp_options),
            "--inject forget-applied-page cannot fire without dirty logging: add -M MODE or -M all");
  EXPECT_EQ(parse_args("spp_test", {"--inject", "forget-applied-page", "-M", "clear-log"}, parse_spp_options).modes,
            std::vector<std::string>{"clear-log"});
  EXPECT_EQ(parse_args("spp_test", {"--inject", "forget-applied-page", "-M", "all"}, parse_spp_options).modes.size(),
            all_modes().size());
}

TEST(TestRegionLayout, ReplacedSlotsMustTileTheRegionInOrder) {
  TestRegion region(HostMemory::allocate(Backing::Anonymous, 16 * 4096), 0x100000000, 1, 1);
  uint8_t* host = region.host();
  const uint64_t gpa = region.gpa();
  // Pages 0..4 writable, 5 protected, 6..15 writable: what SppModel publishes.
  region.replace_slots({{1, gpa, 0, 5, host}, {7, gpa + 5 * 4096, 5, 1, host + 5 * 4096},
                        {8, gpa + 6 * 4096, 6, 10, host + 6 * 4096}});
  EXPECT_EQ(region.slot_of(4).slot, 1u);
  EXPECT_EQ(region.slot_of(5).slot, 7u);
  EXPECT_EQ(region.slot_of(15).slot, 8u);
  EXPECT_EQ(region.slot_of(6).slot, 8u);  // slot 7 holds one page: page 6 starts slot 8
  EXPECT_EQ(region.slot_of(8).first_page, 6u);
  // A gap, an overlap, a short cover, or a wrong host address is refused.
  EXPECT_THROW(region.replace_slots({{1, gpa, 0, 5, host}, {8, gpa + 6 * 4096, 6, 10, host + 6 * 4096}}),
               std::invalid_argument);
  EXPECT_THROW(region.replace_slots({{1, gpa, 0, 6, host}, {8, gpa + 5 * 4096, 5, 11, host + 5 * 4096}}),
               std::invalid_argument);
  EXPECT_THROW(region.replace_slots({{1, gpa, 0, 15, host}}), std::invalid_argument);
  EXPECT_THROW(region.replace_slots({{1, gpa, 0, 16, host + 4096}}), std::invalid_argument);
  EXPECT_EQ(region.slot_of(5).slot, 7u);  // unchanged by the refused ones
}
