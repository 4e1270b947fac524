// Command line of spp_test: parses into SppOptions.
#pragma once

#include <string>

#include "dirtyscope/spp/spp_options.hpp"

namespace dirtyscope {

// Throws UsageError with a one-line message naming the bad value.
SppOptions parse_spp_options(int argc, char** argv);
std::string spp_usage(const char* argv0);
const char* spp_injection_name(SppInjection i);

}  // namespace dirtyscope
