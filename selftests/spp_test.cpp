// spp_test: sub-page write protection (SPP) modelled on stock KVM, checked
// store by store (KTAP, kselftest exit codes). See -h and docs/spp.md.
#include <cstdio>

#include "dirtyscope/error.hpp"
#include "dirtyscope/kvm_system.hpp"
#include "dirtyscope/ktap.hpp"
#include "spp/spp_options.hpp"
#include "spp/spp_run.hpp"

using namespace dirtyscope;

int main(int argc, char** argv) {
  SppOptions o;
  try {
    o = parse_spp_options(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "spp_test: %s\n", e.what());
    return kExitUsage;
  }
  if (o.help) {
    std::fputs(spp_usage(argv[0]).c_str(), stdout);
    return kExitPass;
  }
  try {
    KvmSystem kvm = KvmSystem::open();
    return run_spp_test(kvm, o, stdout);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "spp_test: %s\n", e.what());
    return kExitUsage;
  } catch (const SkipError& e) {
    Ktap::skip_all(e.what());
    return kExitSkip;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spp_test: %s\n", e.what());
    return kExitFail;
  }
}
