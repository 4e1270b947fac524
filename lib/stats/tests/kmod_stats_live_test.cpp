// KmodStatsSource against the running kernel. Where dirtyscope.ko is not
// loaded (this project's host: no module support) every entry point must
// refuse with exactly kKmodNotLoaded and the tests skip with it; a source
// that "works" without the module fails. Where it is loaded (the nested-VM
// harness), a workload with known counts must agree exactly; the VM suite
// passes --no-skip, so there a skip fails (kselftest_gtest_main.cpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>

#include "dirtyscope/stats/kmod_stats_source.hpp"
#include "mini_guest.hpp"
#include "dirtyscope/stats/stats_agreement.hpp"
#include "thrown.hpp"

namespace dirtyscope::stats::testing {
namespace {

bool module_loaded() { return ::access("/sys/module/dirtyscope", F_OK) == 0; }

// The source, or nullopt with the skip reason after checking that the
// refusal is the right one.
std::optional<KmodStatsSource> open_or_explain(std::string& why) {
  try {
    KmodStatsSource src({.pid = ::getpid()});
    EXPECT_TRUE(module_loaded()) << "the kmod source opened without /sys/module/dirtyscope";
    return src;
  } catch (const StatsUnavailable& e) {
    why = e.what();
    EXPECT_FALSE(module_loaded()) << "dirtyscope.ko is loaded, yet: " << e.what();
    EXPECT_EQ(why, kKmodNotLoaded);
    return std::nullopt;
  }
}

// Then skips too if the workload `opt` cannot run here.
#define OPEN_OR_SKIP(var, opt)                                         \
  std::string why_##var;                                               \
  auto var = open_or_explain(why_##var);                               \
  if (HasFailure()) return;                                            \
  if (!var) GTEST_SKIP() << why_##var;                                 \
  if (auto problem = kvm_problem(opt); !problem.empty()) GTEST_SKIP() << problem

TEST(KmodLive, EveryEntryPointRefusesWithTheReasonWhenNotLoaded) {
  if (module_loaded()) {
    EXPECT_NO_THROW(KmodEventSubscriber{});
    return;
  }
  const auto refuses = [](auto&& f) { return dirtyscope::testing::what_thrown<StatsUnavailable>(f); };
  EXPECT_EQ(refuses([] { KmodStatsSource src; }), kKmodNotLoaded);
  EXPECT_EQ(refuses([] { KmodEventSubscriber sub; }), kKmodNotLoaded);
  EXPECT_EQ(refuses([] { kmod_reset_stats(); }), kKmodNotLoaded);
  GTEST_SKIP() << kKmodNotLoaded;
}

TEST(KmodLive, RingCountersAgreeExactly) {
  // 4 KiB = 256 entries: KVM's soft limit (192) is below the 240 pages
  // written, so the guest exits ring-full at least once.
  const GuestOptions opt{.vcpus = 2, .pages = 240, .ring_bytes = 4096};
  OPEN_OR_SKIP(src, opt);
  std::optional<KmodEventSubscriber> events;
  events.emplace();

  MiniGuest guest(opt);
  guest.run();
  guest.run();  // KVM checks the soft limit on the next entry
  guest.harvest(0);
  guest.harvest(1);
  const std::uint64_t entries = guest.reset_rings();
  guest.reset_rings();  // an empty reset counts too

  const DirtyStats s = src->snapshot();
  ASSERT_TRUE(s.vms.contains(::getpid())) << "no VM of this process in the module's table";
  const VcpuCounters t = s.vms.at(::getpid()).totals();
  EXPECT_EQ(s.source, "kmod");
  // Ring pushes, resets (one per vCPU ring per KVM_RESET_DIRTY_RINGS) and
  // full exits, as dirty_log_test --stats judges a run: exactly.
  const std::vector<StatsComparison> judged = compare_stats(s, guest.result());
  EXPECT_EQ(judged.size(), 3u);
  for (const StatsComparison& c : judged) EXPECT_TRUE(c.exact()) << c.describe();
  EXPECT_GT(guest.ring_full_exits(), 0u);
  EXPECT_LE(t.occupancy_hwm, 256u);
  EXPECT_GT(t.occupancy_hwm, 0u);
  EXPECT_EQ(t.fast_page_faults, 0u);
  EXPECT_EQ(s.ioctl_count(), 0u);

  // The raw records carry what DirtyStats has no field for.
  std::uint64_t reset_entries = 0;
  for (const KmodVm& vm : src->vms()) {
    EXPECT_EQ(vm.name, std::to_string(vm.pid) + "-" + std::to_string(vm.fd));
    for (const KmodVcpu& vc : vm.vcpus) {
      EXPECT_EQ(vc.counters.ring_size, 256u);
      reset_entries += vc.counters.ring_reset_entries;
    }
  }
  EXPECT_GE(reset_entries, entries);

  // Every full exit was announced, and every per-ring reset that recycled
  // entries (a reset of nothing is not): vCPU 0's at each reset but the
  // last, empty one; vCPU 1 never runs, so its ring never has any.
  std::uint64_t full = 0, resets = 0;
  for (int i = 0; i < 20; ++i) {
    for (const KmodEvent& e : events->poll(50)) {
      if (e.pid != static_cast<std::uint32_t>(::getpid())) continue;
      full += e.kind == static_cast<std::uint32_t>(KmodEventKind::RingFull);
      resets += e.kind == static_cast<std::uint32_t>(KmodEventKind::RingReset);
    }
  }
  EXPECT_EQ(full, guest.ring_full_exits());
  EXPECT_EQ(resets, guest.reset_calls() - 1);
}

TEST(KmodLive, ResetZeroesThisProcessesVms) {
  const GuestOptions opt{.vcpus = 1, .pages = 32, .ring_bytes = 64 * 1024};
  OPEN_OR_SKIP(src, opt);
  MiniGuest guest(opt);
  guest.run_and_collect();
  ASSERT_GT(src->snapshot().totals().ring_pushes, 0u);
  try {
    src->reset(::getpid());
  } catch (const StatsUnavailable& e) {
    GTEST_SKIP() << e.what();  // not CAP_NET_ADMIN
  }
  for (const KmodVm& vm : src->vms()) EXPECT_EQ(vm.totals.ring_pushes, 0u) << vm.name;
  EXPECT_EQ(src->snapshot().totals().ring_pushes, 0u);
}

// Reader A's baseline predates reader B's RESET_STATS: A learns of it from
// the VM's reset generation (not from a counter going backwards) and says
// so. The twin: A's snapshot before the reset carries no note.
TEST(KmodLive, AResetByAnotherReaderIsNoted) {
  const GuestOptions opt{.vcpus = 1, .pages = 32, .ring_bytes = 64 * 1024};
  OPEN_OR_SKIP(src, opt);
  MiniGuest guest(opt);
  guest.run_and_collect();
  // A opened now: its baseline holds this VM, in its current generation.
  KmodStatsSource a({.pid = ::getpid()});
  const DirtyStats before = a.snapshot();
  EXPECT_TRUE(before.inexact.empty()) << before.inexact.front();
  ASSERT_GT(src->snapshot().totals().ring_pushes, 0u);
  try {
    kmod_reset_stats(::getpid());  // reader B
  } catch (const StatsUnavailable& e) {
    GTEST_SKIP() << e.what();  // not CAP_NET_ADMIN
  }
  const DirtyStats after = a.snapshot();
  ASSERT_EQ(after.inexact.size(), 1u);
  EXPECT_NE(after.inexact[0].find(": reset by another reader (generation "), std::string::npos) << after.inexact[0];
  EXPECT_EQ(after.totals().ring_pushes, 0u) << "counted since the reset";
  EXPECT_EQ(delta(after, before).inexact, after.inexact) << "new over the interval";
}

}  // namespace
}  // namespace dirtyscope::stats::testing
