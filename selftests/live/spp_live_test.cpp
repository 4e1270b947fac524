// spp_test against the live kernel: every case passes, and each fault
// injected into the model makes the run fail (exit 1) naming the
// sub-page. Skips when /dev/kvm or KVM_CAP_READONLY_MEM is missing.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "dirtyscope/error.hpp"
#include "dirtyscope/collector.hpp"
#include "dirtyscope/ktap.hpp"
#include "spp_run.hpp"
#include "twin_rule.hpp"

using namespace dirtyscope;

namespace {

struct Outcome {
  int exit_code;
  std::string ktap;
};

// run_spp_test with its KTAP captured; nullopt-like skip via GTEST_SKIP.
Outcome run_captured(const SppOptions& o) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  int rc;
  try {
    KvmSystem kvm = KvmSystem::open();
    rc = run_spp_test(kvm, o, out);
  } catch (const SkipError& e) {
    std::fprintf(out, "SKIP: %s", e.what());
    rc = kExitSkip;
  }
  std::fclose(out);
  Outcome r{rc, std::string(buf, len)};
  std::free(buf);
  return r;
}

// A negative twin may skip only where the host lacks what SPP needs (a KVM
// capability, or /dev/kvm): any other skip fails it.
#define SKIP_TWIN_ONLY_FOR_CAPABILITY(outcome) \
  SKIP_TWIN_UNLESS_CAPABILITY((outcome).exit_code == kExitSkip, (outcome).ktap)

SppOptions small() {
  SppOptions o;
  o.vcpus = 2;
  o.pages_per_vcpu = 2;
  o.random_stores = 500;
  return o;
}

}  // namespace

TEST(SppLive, EveryCasePasses) {
  Outcome r = run_captured(small());
  if (r.exit_code == kExitSkip) GTEST_SKIP() << r.ktap;
  EXPECT_EQ(r.exit_code, kExitPass) << r.ktap;
  EXPECT_NE(r.ktap.find("ok 7 lift"), std::string::npos) << r.ktap;
}

// Every dirty-log mode: pages the model wrote are merged into the log, and
// exactly the pages a store landed on are dirty.
TEST(SppLive, DirtyLoggingEveryMode) {
  SppOptions o = small();
  o.modes.clear();
  for (const auto& m : all_modes()) o.modes.push_back(m.name);
  Outcome r = run_captured(o);
  if (r.exit_code == kExitSkip) GTEST_SKIP() << r.ktap;
  EXPECT_EQ(r.exit_code, kExitPass) << r.ktap;
  EXPECT_NE(r.ktap.find("ok 7 dirty-log: lift"), std::string::npos) << r.ktap;
  EXPECT_NE(r.ktap.find("clear-log: alternating"), std::string::npos) << r.ktap;
}

// The merge's negative twin: one page the model wrote left out of the log.
TEST(SppLive, ForgottenAppliedPageIsMissed) {
  SppOptions o = small();
  o.modes = {"dirty-log"};
  o.injection = SppInjection::ForgetAppliedPage;
  Outcome r = run_captured(o);
  SKIP_TWIN_ONLY_FOR_CAPABILITY(r);
  EXPECT_EQ(r.exit_code, kExitFail) << r.ktap;
  EXPECT_NE(r.ktap.find("missed: gfn"), std::string::npos) << r.ktap;
  EXPECT_NE(r.ktap.find("sub-page"), std::string::npos) << r.ktap;
  EXPECT_NE(r.ktap.find("\nok 8 dirty-log: injection-fired\n"), std::string::npos) << r.ktap;
}

namespace {
// Named apart from dirty_log_live_test.cpp's Fault: one binary, one ODR.
struct SppFault {
  SppInjection injection;
  const char* expected;  // what the failure must say
};
}  // namespace

// ... in every mode it accepts: each mode the host can run must fail on
// the page left out (a mode may skip only naming its missing capability).
TEST(SppLive, ForgottenAppliedPageIsMissedInEveryMode) {
  SppOptions o = small();
  o.modes.clear();
  for (const auto& m : all_modes()) o.modes.push_back(m.name);
  o.injection = SppInjection::ForgetAppliedPage;
  Outcome r = run_captured(o);
  SKIP_TWIN_ONLY_FOR_CAPABILITY(r);
  EXPECT_EQ(r.exit_code, kExitFail) << r.ktap;
  for (const std::string& mode : o.modes) {
    SCOPED_TRACE(mode);
    if (r.ktap.find(mode + ": injection-fired # SKIP KVM_CAP_") != std::string::npos) continue;
    EXPECT_NE(r.ktap.find(" " + mode + ": injection-fired\n"), std::string::npos) << r.ktap;
    // "# dirty-ring: alternating: FAIL: vCPU 0: missed: gfn 0x..."
    bool missed = false;
    std::istringstream lines(r.ktap);
    for (std::string line; std::getline(lines, line);)
      missed = missed || (line.rfind("# " + mode + ": ", 0) == 0 && line.find("missed: gfn") != std::string::npos);
    EXPECT_TRUE(missed) << r.ktap;
  }
}

class SppInjected : public ::testing::TestWithParam<SppFault> {};

TEST_P(SppInjected, RunFailsNamingTheSubpage) {
  SppOptions o = small();
  o.injection = GetParam().injection;
  Outcome r = run_captured(o);
  SKIP_TWIN_ONLY_FOR_CAPABILITY(r);
  EXPECT_EQ(r.exit_code, kExitFail) << r.ktap;
  EXPECT_NE(r.ktap.find(GetParam().expected), std::string::npos) << r.ktap;
  EXPECT_NE(r.ktap.find("sub-page"), std::string::npos) << r.ktap;
  // It failed on what the fault broke, not only for never acting.
  EXPECT_NE(r.ktap.find("\nok 8 injection-fired\n"), std::string::npos) << r.ktap;
}

INSTANTIATE_TEST_SUITE_P(
    EveryFault, SppInjected,
    ::testing::Values(SppFault{SppInjection::WrongVectorBit, "violation"},
                      SppFault{SppInjection::DropViolation, "was denied but not reported"},
                      SppFault{SppInjection::SkipAllowedWrite, "allowed, but memory does not hold its value"}),
    [](const auto& p) {
      std::string n = spp_injection_name(p.param.injection);
      for (auto& c : n)
        if (c == '-') c = '_';
      return n;
    });
