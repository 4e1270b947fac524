// Each injected fault, in every mode that can do it, must make the run
// fail and name the page (or the numbers the collector checks); a fault a
// mode cannot do is a usage error, one that never fired a failure, and a
// hidden ring must be called wedged.
#include <gtest/gtest.h>

#include <string>

#include "dirtyscope/mode_runner.hpp"
#include "live_support.hpp"

using namespace dirtyscope;
using namespace dirtyscope::live;

namespace {

struct Fault {
  const char* mode;
  Injection injection;
  const char* expected;  // offence kind the verifier counts, or text of the collector's error
  bool verifier = true;  // caught by the verifier (pages listed) or by the collector's checks
};

class Injected : public ::testing::TestWithParam<Fault> {};

}  // namespace


TEST_P(Injected, RunFailsNamingThePage) {
  RunOptions o = brief(GetParam().mode);
  o.iterations = 6;
  o.injection = GetParam().injection;
  ASSERT_TRUE(mode_accepts(o.mode, o.injection)) << inapplicable_injection(o.mode, o.injection);
  ModeResult r = run(o);
  SKIP_TWIN_ONLY_FOR_CAPABILITY(r);
  EXPECT_EQ(r.outcome, Outcome::Fail);
  EXPECT_EQ(r.reason.find("never fired"), std::string::npos) << r.reason;
  if (!GetParam().verifier) {
    EXPECT_NE(r.reason.find(GetParam().expected), std::string::npos) << r.reason;
    return;
  }
  ASSERT_FALSE(r.offenders.empty()) << r.reason;
  // The summary counts the expected kind of offence ("missed 3, stale 0").
  EXPECT_TRUE(counts_some(r.reason, GetParam().expected)) << r.reason;
  EXPECT_NE(r.offenders.front().find("gfn 0x"), std::string::npos);
  EXPECT_NE(r.offenders.front().find("written by vCPU"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    EveryFault, Injected,
    ::testing::Values(Fault{"dirty-log", Injection::DropDirty, "missed"},
                      // The stale bitmap both repeats pages (stale) and hides
                      // those written since the last running collection
                      // (missed); how many of the latter exist depends on how
                      // far the guest got before the pause, so either counts.
                      Fault{"dirty-log", Injection::SkipClear, "missed|stale"},
                      Fault{"clear-log", Injection::DropDirty, "missed"},
                      Fault{"clear-log", Injection::SkipClear, "stale"},
                      Fault{"dirty-ring", Injection::DropDirty, "missed"},
                      Fault{"dirty-ring", Injection::SkipReset,
                            "KVM_RESET_DIRTY_RINGS reset", false},
                      Fault{"dirty-ring", Injection::WrongSlot, "is not a page of any test memslot", false},
                      Fault{"dirty-ring-wait", Injection::DropDirty, "missed"},
                      Fault{"dirty-ring-wait", Injection::SkipReset, "KVM_RESET_DIRTY_RINGS reset", false},
                      Fault{"dirty-ring-wait", Injection::WrongSlot, "is not a page of any test memslot",
                            false},
                      // arm64 has this capability; x86 hosts skip naming it.
                      Fault{"ring-with-bitmap", Injection::DropDirty, "missed"},
                      Fault{"ring-with-bitmap", Injection::SkipReset, "KVM_RESET_DIRTY_RINGS reset", false},
                      Fault{"ring-with-bitmap", Injection::WrongSlot, "is not a page of any test memslot",
                            false}),
    [](const auto& p) {
      std::string n = std::string(p.param.mode) + "_" + injection_name(p.param.injection);
      for (auto& c : n)
        if (c == '-') c = '_';
      return n;
    });

// An injection a mode cannot act on is a usage error, never a pass or a
// skip (dirty_log_test rejects it before opening /dev/kvm; run_mode too).
TEST(Live, InapplicableInjectionIsAUsageError) {
  REQUIRE_KVM();
  RunOptions o = brief("dirty-log");
  o.injection = Injection::WrongSlot;
  try {
    run(o);
    FAIL() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--inject wrong-slot cannot fire in dirty-log: only dirty-ring, dirty-ring-wait, "
                           "ring-with-bitmap have it");
  }
}

// A fault that never fired proves nothing: too short a run for skip-reset
// (it acts at a late paused collection) fails saying so, not a pass or a
// skip. Its twin is Injected.RunFailsNamingThePage/dirty_ring_skip_reset,
// where six iterations let it fire and the run fails on what it broke.
TEST(Live, InjectionThatNeverFiredFails) {
  REQUIRE_KVM();
  RunOptions o = brief("dirty-ring");
  o.iterations = 1;
  o.injection = Injection::SkipReset;
  ModeResult r = run(o);
  EXPECT_EQ(r.outcome, Outcome::Fail) << r.reason;
  EXPECT_NE(r.reason.find("never fired"), std::string::npos) << r.reason;
}

// The wedge checks' negative twin: with vCPU 0's entries hidden its ring
// stays full whatever we reset, so the vCPU can never run again. Each ring
// mode must fail saying the ring is wedged, long before the stall limit.
class Wedged : public ::testing::TestWithParam<const char*> {};

TEST_P(Wedged, HiddenRingIsCalledWedged) {
  RunOptions o = brief(GetParam());
  o.ring_entries = 256;  // fills within the first iteration
  // No collection while vCPUs run for a long time, so the verifier cannot
  // report vCPU 0's pages missed first: only the wedge checks can end the
  // run early, and the test's runtime shows whether they did.
  o.interval_ms = 120000;
  o.injection = Injection::HideRing;
  ModeResult r = run(o);
  SKIP_TWIN_ONLY_FOR_CAPABILITY(r);
  EXPECT_EQ(r.outcome, Outcome::Fail) << r.reason;
  const bool wait = std::string(GetParam()) == "dirty-ring-wait";
  EXPECT_NE(r.reason.find(wait ? "blocked on KVM_EXIT_DIRTY_RING_FULL again and again"
                               : "times in a row with nothing left to harvest"),
            std::string::npos)
      << r.reason;
  EXPECT_NE(r.reason.find("wedged"), std::string::npos) << r.reason;
}

// ring-with-bitmap harvests as dirty-ring does; x86 hosts skip it, naming
// KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP.
INSTANTIATE_TEST_SUITE_P(RingModes, Wedged, ::testing::Values("dirty-ring", "dirty-ring-wait", "ring-with-bitmap"),
                         [](const auto& p) {
                           const std::string m = p.param;
                           return m == "dirty-ring" ? "plain" : m == "dirty-ring-wait" ? "wait" : "with_bitmap";
                         });
