// Command line of spp_test.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dirtyscope/host_memory.hpp"
#include "dirtyscope/spp_model.hpp"
#include "dirtyscope/guest_program.hpp"

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

// Throws UsageError with a one-line message naming the bad value.
SppOptions parse_spp_options(int argc, char** argv);
std::string spp_usage(const char* argv0);
const char* spp_injection_name(SppInjection i);

}  // namespace dirtyscope
