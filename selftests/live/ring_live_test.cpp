// The dirty ring's own cases: soft-full exits, ring-wait blocking, the
// kvm_pvm CPL0 overrun held to a kernel-side oracle, and ring-with-bitmap
// running or skipping by its capability.
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>

#include <unistd.h>

#include "dirtyscope/mode_runner.hpp"
#include "dirtyscope/ring_collector.hpp"
#include "dirtyscope/stats/ring_health.hpp"
#include "dirtyscope/stats/source_factory.hpp"
#include "dirtyscope/stats/stats_window.hpp"
#include "live_support.hpp"

using namespace dirtyscope;
using namespace dirtyscope::live;

// Soft-full: a small ring makes vCPUs exit with KVM_EXIT_DIRTY_RING_FULL;
// the run handles and counts it, with 1 and 2 vCPUs. --soft-full makes it
// deterministic: nothing harvests a ring but its own vCPU's soft-full exit,
// and no iteration ends before each vCPU has exited so, however slowly the
// guest runs. (CPL0 on PVM: see KnownIssue.)
class SoftFull : public ::testing::TestWithParam<uint32_t> {};

TEST_P(SoftFull, RingFullExitsAreHandled) {
  RunOptions o = brief("dirty-ring");
  o.ring_entries = 256;  // soft limit 192
  o.soft_full = true;
  o.guest.vcpus = GetParam();
  ModeResult r = run(o);
  EXPECT_RUN_PASSES(r);
  EXPECT_GE(r.counters.ring_full_exits, uint64_t{o.iterations} * o.guest.vcpus);
  EXPECT_GE(r.counters.ring_high_water, 256u - RingCollector::kReservedEntries);
  EXPECT_EQ(r.counters.ring_overruns, 0u);
}

TEST(Live, SoftFullAppliesToDirtyRingOnly) {
  REQUIRE_KVM();
  RunOptions o = brief("dirty-log");
  o.soft_full = true;
  ModeResult r = run(o);
  EXPECT_EQ(r.outcome, Outcome::Skip);
  EXPECT_NE(r.reason.find("--soft-full applies to dirty-ring only"), std::string::npos) << r.reason;
}

// ring-wait: vCPUs block on the full ring until the lagging collector
// frees it; every iteration waits for each vCPU to have blocked.
TEST_P(SoftFull, RingWaitBlocksVcpus) {
  RunOptions o = brief("dirty-ring-wait");
  o.guest.vcpus = GetParam();
  ModeResult r = run(o);
  EXPECT_RUN_PASSES(r);
  EXPECT_GE(r.counters.vcpu_blocked_count, uint64_t{o.iterations} * o.guest.vcpus);
  EXPECT_GT(r.counters.vcpu_blocked_ns, 0u);
  EXPECT_EQ(r.ring_entries, 256u);
}

INSTANTIATE_TEST_SUITE_P(Vcpus, SoftFull, ::testing::Values(1u, 2u),
                         [](const auto& p) { return std::to_string(p.param) + "vcpu"; });

// KNOWN ISSUE (found by this suite on a kvm_pvm host; docs in docs/findings.md,
// "Finding: PVM's CPL0 emulation overruns the dirty ring"): guest CPL0 code
// may run in PVM's batch emulator, which keeps writing after the ring
// reaches its soft limit, through KVM's reserved entries, until the ring
// is completely full and kvm_dirty_ring_push() overwrites entries not yet
// harvested. Whether a run hits it depends on the host (hardware KVM and
// the nested SVM guest never do) and, on PVM, on timing: the same shape
// overran in some runs and not in others. So this case never asserts the
// host's bug. It asks an oracle whether the kernel overran the ring during
// the run and then holds the verdict to it:
//   - overran: the run must fail, naming the full ring or what was lost
//     (a pass would be a false pass: the proof would be unsound);
//   - not overran: the run must pass ("no overrun this time").
// The oracle is the kernel's own ring occupancy at each push, from the BPF
// statistics source (tracepoint kvm_dirty_ring_push), and, where BPF is
// not available, the collector's count of harvests that found a ring full.
namespace {

struct Overrun {
  const char* mode;
  uint32_t vcpus;
};

// The kernel's view of the run's rings, when BPF can see them: this
// process's counters over the run, summed over its vCPUs (occupancy_hwm
// is their max).
struct RingOracle {
  bool seen = false;  // BPF attached and saw this process's rings
  stats::VcpuCounters rings;
};

RunHooks watch_rings(stats::StatsWindow& window, RingOracle& out) {
  RunHooks hooks;
  hooks.vm_ready = [&window] { window.open(); };
  hooks.vm_done = [&window, &out](const ModeResult&) {
    const stats::DirtyStats mine = window.close(getpid());
    out.rings = mine.totals();
    out.seen = out.rings.ring_pushes > 0;
  };
  return hooks;
}

class KnownIssuePvmCpl0RingOverrun : public ::testing::TestWithParam<Overrun> {};

}  // namespace

TEST_P(KnownIssuePvmCpl0RingOverrun, OverrunFailsTheRunElsePasses) {
  REQUIRE_KVM();
  RunOptions o = brief(GetParam().mode);
  o.guest.test_size = 256ULL << 20;       // the shape the finding was measured with:
  o.mix = WriteMixOptions{false, false};  // random writes over 256 MiB,
  o.populate_first = false;               // logged from the memslots' creation
  o.iterations = 20;
  o.ring_entries = 256;
  o.guest.cpl = x86::GuestCpl::Kernel;
  o.guest.vcpus = GetParam().vcpus;
  o.stall_timeout = std::chrono::milliseconds(60000);

  std::unique_ptr<stats::StatsSource> bpf;
  std::string no_bpf;
  try {
    bpf = stats::make_stats_source("bpf", getpid());
  } catch (const std::exception& e) {
    no_bpf = e.what();
  }
  std::optional<stats::StatsWindow> window;
  RingOracle kernel;
  if (bpf) {
    window.emplace(*bpf);
    o.hooks = watch_rings(*window, kernel);
  }
  ModeResult r = run(o);
  if (r.outcome == Outcome::Skip) GTEST_SKIP() << r.reason;

  // The alarm's own judgement (ring_health.hpp), against the size we asked for.
  const bool kernel_overran = kernel.seen && stats::judge_ring(kernel.rings.occupancy_hwm, o.ring_entries).overrun();
  const bool collector_overran = r.counters.ring_overruns > 0;
  const std::string oracle =
      kernel.seen ? "kernel ring occupancy high-water " + std::to_string(kernel.rings.occupancy_hwm) + " of " +
                        std::to_string(o.ring_entries) + " over " + std::to_string(kernel.rings.ring_pushes) +
                        " pushes (BPF)"
                  : "no BPF oracle (" + (no_bpf.empty() ? std::string("no ring events seen") : no_bpf) +
                        "); collector high-water " + std::to_string(r.counters.ring_high_water);
  if (!kernel_overran && !collector_overran) {
    std::printf("no overrun this time: %s\n", oracle.c_str());
    EXPECT_RUN_PASSES(r);
    return;
  }
  std::printf("the kernel overran the ring: %s\n", oracle.c_str());
  ASSERT_EQ(r.outcome, Outcome::Fail) << "the kernel overran a " << o.ring_entries
                                      << "-entry ring (" << oracle << ") yet the run passed: a false pass";
  const bool named = r.reason.find("completely full") != std::string::npos ||
                     r.reason.find("nothing left to harvest") != std::string::npos ||
                     r.reason.find("KVM_RESET_DIRTY_RINGS reset") != std::string::npos ||
                     counts_some(r.reason, "missed");
  EXPECT_TRUE(named) << r.reason;
  EXPECT_NE(r.reason.find("vCPU"), std::string::npos) << r.reason;
}

INSTANTIATE_TEST_SUITE_P(Shapes, KnownIssuePvmCpl0RingOverrun,
                         ::testing::Values(Overrun{"dirty-ring", 1}, Overrun{"dirty-ring", 2},
                                           Overrun{"dirty-ring-wait", 1}, Overrun{"dirty-ring-wait", 2}),
                         [](const auto& p) {
                           std::string n = std::string(p.param.mode) + "_" + std::to_string(p.param.vcpus) + "vcpu";
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(Live, RingWithBitmapRunsOrSkipsNamingTheCapability) {
  REQUIRE_KVM();
  ModeResult r = run(brief("ring-with-bitmap"));
  if (r.outcome == Outcome::Skip) {
    EXPECT_NE(r.reason.find("KVM_CAP_DIRTY_LOG_RING"), std::string::npos) << r.reason;
    GTEST_SKIP() << r.reason;
  }
  EXPECT_RUN_PASSES(r);
}
