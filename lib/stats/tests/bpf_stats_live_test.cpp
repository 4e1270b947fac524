// BpfStatsSource against the live kernel: a workload whose counts the test
// knows exactly, then exact agreement with what the BPF programs counted.
// Runs once per attach variant so every fallback is exercised.
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>

#include "dirtyscope/stats/bpf_stats_source.hpp"
#include "mini_guest.hpp"
#include "dirtyscope/stats/stats_agreement.hpp"

namespace dirtyscope::stats::testing {
namespace {

class BpfLive : public ::testing::TestWithParam<AttachMode> {
 protected:
  // Attaches filtered to this process, so other VMs on the host (a
  // colleague's test run, a QEMU) cannot disturb exact counts.
  std::optional<BpfStatsSource> attach(pid_t pid = ::getpid()) {
    try {
      return BpfStatsSource({.pid = pid, .mode = GetParam()});
    } catch (const StatsUnavailable& e) {
      skip_reason_ = e.what();
      return std::nullopt;
    }
  }
  // What the source saw of this process must equal what the guest did,
  // exactly (compare_stats, as dirty_log_test --stats judges a run), with
  // one latency sample per ioctl call; else every disagreement.
  void expect_agreement(const MiniGuest& guest, const VmStats& vm) {
    std::string bad;
    const DirtyStats seen{.source = "bpf", .vms = {{::getpid(), vm}}};
    for (const StatsComparison& c : compare_stats(seen, guest.result()))
      if (!c.exact()) bad += "  " + c.describe() + "\n";
    for (DirtyIoctl which : kAllDirtyIoctls)
      if (vm.ioctl(which).latency_ns.count() != vm.ioctl(which).count)
        bad += "  " + std::string(ioctl_name(which)) + ": " + std::to_string(vm.ioctl(which).latency_ns.count()) +
               " latency samples for " + std::to_string(vm.ioctl(which).count) + " calls\n";
    EXPECT_TRUE(bad.empty()) << "BPF (" << attach_mode_name(GetParam()) << ") disagrees:\n" << bad;
  }
  static VmStats mine(const DirtyStats& s) {
    const auto it = s.vms.find(::getpid());
    return it == s.vms.end() ? VmStats{} : it->second;
  }
  std::string skip_reason_;
};

#define ATTACH_OR_SKIP(var, ...)                        \
  auto var = attach(__VA_ARGS__);                       \
  if (!var) GTEST_SKIP() << skip_reason_;               \
  ASSERT_EQ(var->mode(), GetParam())

TEST_P(BpfLive, DirtyRingPushesResetsAndIoctlsAgreeExactly) {
  const GuestOptions opt{.vcpus = 2, .pages = 64, .ring_bytes = 64 * 1024};
  if (auto why = kvm_problem(opt); !why.empty()) GTEST_SKIP() << why;
  ATTACH_OR_SKIP(src);

  MiniGuest guest(opt);
  guest.run();
  ASSERT_EQ(guest.ring_full_exits(), 0u) << "ring too small for this test";
  const std::uint64_t from_vcpu0 = guest.harvest(0);
  const std::uint64_t from_vcpu1 = guest.harvest(1);
  constexpr int kResets = 3;
  std::uint64_t reset_entries = 0;
  for (int i = 0; i < kResets; ++i) reset_entries += guest.reset_rings();
  const DirtyStats stats = src->snapshot();

  // The kernel itself: every written page is reported (over-reporting is
  // allowed: docs/modes-and-verifier.md, "What verified means"), and all harvested entries
  // were reset.
  EXPECT_GE(from_vcpu0, opt.pages);
  EXPECT_EQ(from_vcpu1, 0u);
  EXPECT_EQ(reset_entries, from_vcpu0);

  EXPECT_EQ(guest.reset_calls(), static_cast<std::uint64_t>(kResets));
  const VmStats vm = mine(stats);
  expect_agreement(guest, vm);

  // Attribution: pushes land on the vCPU that ran, via the ring's vCPU.
  ASSERT_TRUE(vm.vcpus.contains(0));
  EXPECT_EQ(vm.vcpus.at(0).ring_pushes, from_vcpu0);
  EXPECT_EQ(vm.vcpus.contains(1) ? vm.vcpus.at(1).ring_pushes : 0u, 0u);
  // Nothing was reset while the guest ran, so the high-water mark is the
  // whole harvest.
  EXPECT_EQ(vm.vcpus.at(0).occupancy_hwm, from_vcpu0);
  // The ring's capacity comes from the ring itself (CO-RE read of
  // kvm_dirty_ring::size): 64 KiB of 16-byte entries. The classic tp
  // event has no size field, so that variant must say "unknown" (0), never
  // guess.
  const std::uint64_t want_size = GetParam() == AttachMode::Tp ? 0 : opt.ring_bytes / 16;
  EXPECT_EQ(vm.vcpus.at(0).ring_size, want_size) << attach_mode_name(GetParam());
}

TEST_P(BpfLive, RingFullExitsAgreeExactly) {
  // 4 KiB = 256 entries: KVM's soft limit is below the 240 pages written,
  // so the guest must stop with KVM_EXIT_DIRTY_RING_FULL at least once.
  const GuestOptions opt{.vcpus = 1, .pages = 240, .ring_bytes = 4096};
  if (auto why = kvm_problem(opt); !why.empty()) GTEST_SKIP() << why;
  ATTACH_OR_SKIP(src);

  MiniGuest guest(opt);
  guest.run();
  // KVM checks the soft limit when it next enters the guest, which may be
  // after the halt: run once more so the full ring is reported.
  guest.run_and_collect();
  if (guest.ring_full_exits() == 0) GTEST_SKIP() << "kernel never reported a full dirty ring";

  const VmStats vm = mine(src->snapshot());
  expect_agreement(guest, vm);
  EXPECT_LE(vm.totals().occupancy_hwm, 256u);
  EXPECT_EQ(vm.totals().ring_size, GetParam() == AttachMode::Tp ? 0u : 256u);
}

TEST_P(BpfLive, BitmapIoctlLatencySamplesAgreeExactly) {
  const GuestOptions opt{.vcpus = 1, .pages = 64, .manual_protect = true};
  if (auto why = kvm_problem(opt); !why.empty()) GTEST_SKIP() << why;
  ATTACH_OR_SKIP(src);

  MiniGuest guest(opt);
  guest.run();
  EXPECT_GE(guest.get_dirty_log(), opt.pages);
  guest.clear_dirty_log();
  guest.get_dirty_log();
  guest.clear_dirty_log();
  guest.clear_dirty_log();

  const ModeResult did = guest.result();
  EXPECT_EQ(did.ioctls.get_dirty_log, 2u);
  EXPECT_EQ(did.ioctls.clear_dirty_log, 3u);
  const VmStats vm = mine(src->snapshot());
  expect_agreement(guest, vm);
  EXPECT_EQ(vm.totals().ring_pushes + vm.totals().ring_resets + vm.totals().ring_full_exits, 0u) << "no ring";
  // Latencies are real: a dirty-log ioctl takes more than a nanosecond.
  EXPECT_GT(vm.ioctl(DirtyIoctl::GetDirtyLog).total_ns, 0u);
}

TEST_P(BpfLive, PidFilterExcludesOtherProcesses) {
  const GuestOptions opt{.vcpus = 1, .pages = 16, .ring_bytes = 64 * 1024};
  if (auto why = kvm_problem(opt); !why.empty()) GTEST_SKIP() << why;
  // Filtered to init, which runs no VM: our workload must stay invisible.
  ATTACH_OR_SKIP(other, 1);
  ATTACH_OR_SKIP(self);

  MiniGuest guest(opt);
  guest.run_and_collect();
  EXPECT_FALSE(other->snapshot().vms.contains(::getpid()));
  // ...while the same workload is visible to a source filtered to us.
  EXPECT_EQ(mine(self->snapshot()).totals().ring_pushes, guest.harvested_total());
}

INSTANTIATE_TEST_SUITE_P(Modes, BpfLive,
                         ::testing::Values(AttachMode::TpBtf, AttachMode::RawTp, AttachMode::Tp),
                         [](const auto& p) { return std::string(attach_mode_name(p.param)); });

}  // namespace
}  // namespace dirtyscope::stats::testing
