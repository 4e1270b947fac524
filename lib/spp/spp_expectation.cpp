#include "dirtyscope/spp/spp_expectation.hpp"

#include <cstdio>
#include <cstring>

#include "dirtyscope/spp_vectors.hpp"

namespace dirtyscope {

ds_spp_store plan_store(const SppRoundPlan& plan, uint64_t i) {
  ds_spp_store s{};
  ds_spp_plan(plan.seed, plan.round, i, plan.pages, &s);
  return s;
}

void apply_store(std::vector<uint8_t>& memory, const ds_spp_store& s) {
  for (uint32_t b = 0; b < s.size; ++b) memory[s.page * 4096 + s.offset + b] = static_cast<uint8_t>(s.value >> (8 * b));
}

uint64_t read_sum(const std::vector<uint8_t>& memory) {
  uint64_t sum = DS_SPP_READ_SUM_INIT;
  for (size_t w = 0; w + 8 <= memory.size(); w += 8) {
    uint64_t word;
    std::memcpy(&word, memory.data() + w, 8);
    sum = ds_spp_read_step(sum, word);
  }
  return sum;
}

ExpectedRound expect_round(const SppRoundPlan& plan, std::vector<uint8_t> memory,
                           const std::vector<uint32_t>& vectors) {
  ExpectedRound e;
  e.page_written.assign(plan.pages, false);
  e.first_landed.assign(plan.pages, 0);
  auto landed = [&](const ds_spp_store& s, uint64_t i) {
    apply_store(memory, s);
    if (!e.page_written[s.page]) e.first_landed[s.page] = i;
    e.page_written[s.page] = true;
  };
  for (uint64_t i = 0; i < plan.stores; ++i) {
    const ds_spp_store s = plan_store(plan, i);
    const uint32_t vector = vectors[s.page];
    if (vector == kSppFullAccess) {
      ++e.untrapped;
      landed(s, i);
      continue;
    }
    if (auto denied = spp_denied_subpage(vector, s.offset, s.size)) {
      const uint64_t mask = s.size == 8 ? ~0ULL : (1ULL << (8 * s.size)) - 1;
      e.violations.push_back({plan.gpa + s.page * 4096 + s.offset, *denied, s.size, s.value & mask, i});
      continue;
    }
    ++e.allowed;
    landed(s, i);
  }
  e.read_sum = read_sum(memory);
  e.memory = std::move(memory);
  return e;
}

std::string describe_store(const SppRoundPlan& plan, uint64_t i) {
  const ds_spp_store s = plan_store(plan, i);
  const SubpageSpan span = subpages_of(s.offset, s.size);
  char buf[160];
  std::snprintf(buf, sizeof(buf), "store %llu (%u bytes at gpa 0x%llx, sub-page %u%s)",
                static_cast<unsigned long long>(i), s.size,
                static_cast<unsigned long long>(plan.gpa + s.page * 4096 + s.offset), span.first,
                span.last != span.first ? (" and " + std::to_string(span.last)).c_str() : "");
  return buf;
}

}  // namespace dirtyscope
