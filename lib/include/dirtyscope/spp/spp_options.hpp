// What one SPP run is: its guest, its region and its rounds (spp_test's
// command line fills it, spp_bench its own).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dirtyscope/guest_program.hpp"
#include "dirtyscope/host_memory.hpp"
#include "dirtyscope/spp_model.hpp"

namespace dirtyscope {

struct SppOptions {
  uint32_t vcpus = 2;
  GuestCpl cpl = kDefaultGuestCpl;
  Backing backing = Backing::Anonymous;
  uint64_t seed = 1;
  uint64_t pages_per_vcpu = 4;     // guard pages each vCPU stores to
  uint64_t random_stores = 2000;   // per vCPU and round, after the structured part
  uint64_t region_size = 2ULL << 20;  // the test region (spp_bench: room for scattered pages)
  SppInjection injection = SppInjection::None;
  // -M: dirty-log modes to run every case under ("" = no dirty logging).
  std::vector<std::string> modes = {""};
  std::optional<std::string> stats_source;  // --stats [--stats-source NAME]
  bool help = false;
};

}  // namespace dirtyscope
