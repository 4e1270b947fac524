// spp_test's whole run, as a function: the cases on one SppSession, KTAP
// on `out`, the kselftest exit code returned. The live tests call it too.
#pragma once

#include <cstdio>

#include "dirtyscope/kvm_system.hpp"
#include "spp_options.hpp"

namespace dirtyscope {

int run_spp_test(const KvmSystem& kvm, const SppOptions& options, std::FILE* out);

}  // namespace dirtyscope
