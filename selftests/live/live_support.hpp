// What the live-kernel tests share: the host's KVM (or a skip naming
// /dev/kvm), a brief run of one mode, and the checks every suite makes of
// a run's outcome, among them the rule for negative twins.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "dirtyscope/error.hpp"
#include "dirtyscope/mode_runner.hpp"
#include "twin_rule.hpp"

namespace dirtyscope::live {

// The host's KVM, opened once; nullptr where /dev/kvm is unusable.
inline const KvmSystem* kvm_or_null() {
  static std::unique_ptr<KvmSystem> kvm = [] {
    try {
      return std::make_unique<KvmSystem>(KvmSystem::open());
    } catch (const SkipError&) {
      return std::unique_ptr<KvmSystem>();
    }
  }();
  return kvm.get();
}

// True when `summary` says "<kind> N" with N > 0.
// `kinds` is one offence kind or several separated by '|': true when the
// summary counts at least one of them.
inline bool counts_some(const std::string& summary, const std::string& kinds) {
  size_t from = 0;
  for (;;) {
    const size_t bar = kinds.find('|', from);
    const std::string kind = kinds.substr(from, bar == std::string::npos ? std::string::npos : bar - from);
    const size_t at = summary.find(kind + " ");
    if (at != std::string::npos) {
      const char digit = summary[at + kind.size() + 1];
      if (digit >= '1' && digit <= '9') return true;
    }
    if (bar == std::string::npos) return false;
    from = bar + 1;
  }
}

// Small enough that a run inside the nested VM (TCG) takes seconds: with
// the write mix every run writes each of its 4096 pages and rewrites them.
inline RunOptions brief(const std::string& mode) {
  RunOptions o;
  o.mode = mode;
  o.iterations = 4;
  o.interval_ms = 10;
  o.guest.test_size = 16ULL << 20;
  return o;
}

inline ModeResult run(const RunOptions& o) {
  const KvmSystem* kvm = kvm_or_null();
  if (!kvm) return ModeResult{o.mode, Outcome::Skip, "/dev/kvm unavailable"};
  return run_mode(*kvm, o, [](const std::string&) {});
}

}  // namespace dirtyscope::live

// Tests that check the reason of a skip need KVM to reach that point.
#define REQUIRE_KVM()                        \
  if (!dirtyscope::live::kvm_or_null()) \
  GTEST_SKIP() << "/dev/kvm unavailable (the nested-VM suite runs these tests)"

// The same for a run's result (a ModeResult or a MigrateResult).
#define SKIP_TWIN_ONLY_FOR_CAPABILITY(result) \
  SKIP_TWIN_UNLESS_CAPABILITY((result).outcome == dirtyscope::Outcome::Skip, (result).reason)

#define EXPECT_RUN_PASSES(result)                                                  \
  do {                                                                             \
    const dirtyscope::ModeResult& r_ = (result);                                   \
    if (r_.outcome == dirtyscope::Outcome::Skip) GTEST_SKIP() << r_.reason;        \
    EXPECT_EQ(r_.outcome, dirtyscope::Outcome::Pass) << r_.reason;                 \
    EXPECT_GT(r_.iterations, 0u);                                                  \
    EXPECT_GT(r_.guest_writes, 0u);                                                \
    EXPECT_GT(r_.pages_reported_dirty, 0u);                                        \
    EXPECT_GT(r_.verified_collections, r_.iterations);                             \
  } while (0)
