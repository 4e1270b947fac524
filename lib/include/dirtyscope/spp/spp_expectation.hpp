// What one SPP round must do, computed without KVM: the guest's store
// plan (spp_plan.h) replayed over a copy of its pages with the vectors in
// force. spp_test compares the model's results and the guest's memory
// with this, store by store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include "spp_plan.h"
}

namespace dirtyscope {

struct ExpectedViolation {
  uint64_t gpa;
  uint32_t subpage;
  uint32_t len;
  uint64_t value;
  uint64_t store;  // index in the round's plan
};

struct SppRoundPlan {
  uint64_t gpa;     // first byte of the vCPU's pages
  uint64_t pages;
  uint64_t seed;
  uint64_t round;
  uint64_t stores;
};

struct ExpectedRound {
  std::vector<uint8_t> memory;  // the pages after the round
  std::vector<ExpectedViolation> violations;
  uint64_t allowed = 0;      // trapped and applied
  uint64_t untrapped = 0;    // stores to unprotected pages: no exit
  uint64_t read_sum = 0;     // what the guest must read back
  std::vector<bool> page_written;  // by page: some store landed (must be logged dirty)
  std::vector<uint64_t> first_landed;  // by page: the first store that landed there
};

ds_spp_store plan_store(const SppRoundPlan& plan, uint64_t i);
// Writes the low `size` bytes of `value` at `offset` of `page` in `memory`.
void apply_store(std::vector<uint8_t>& memory, const ds_spp_store& s);
uint64_t read_sum(const std::vector<uint8_t>& memory);

// `vectors` has one entry per page (kSppFullAccess: unprotected).
ExpectedRound expect_round(const SppRoundPlan& plan, std::vector<uint8_t> memory,
                           const std::vector<uint32_t>& vectors);

// "store 17 (4 bytes at gpa 0x..., sub-page 5)": how failures name a store.
std::string describe_store(const SppRoundPlan& plan, uint64_t i);

}  // namespace dirtyscope
