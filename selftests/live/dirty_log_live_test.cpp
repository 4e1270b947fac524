// Each mode against the live kernel, briefly, in the configurations a
// patch must survive: every mode at CPL3 and CPL0, every backing, 2 vCPUs
// and memslots, odd-sized and unaligned slots, logging from creation.
// Skips (never passes) when /dev/kvm or a capability is missing. The
// injected faults are in injected_live_test.cpp, the ring's own cases in
// ring_live_test.cpp.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>

#include "dirtyscope/mode_runner.hpp"
#include "live_support.hpp"

using namespace dirtyscope;
using namespace dirtyscope::live;

namespace {

struct ModeCpl {
  const char* mode;
  x86::GuestCpl cpl;
};

class ModeAtCpl : public ::testing::TestWithParam<ModeCpl> {};

std::string mode_cpl_name(const ::testing::TestParamInfo<ModeCpl>& info) {
  std::string n = info.param.mode;
  for (auto& c : n)
    if (c == '-') c = '_';
  return n + (info.param.cpl == x86::GuestCpl::User ? "_cpl3" : "_cpl0");
}

}  // namespace

TEST_P(ModeAtCpl, Passes) {
  RunOptions o = brief(GetParam().mode);
  o.guest.cpl = GetParam().cpl;
  EXPECT_RUN_PASSES(run(o));
}

INSTANTIATE_TEST_SUITE_P(BitmapModes, ModeAtCpl,
                         ::testing::Values(ModeCpl{"dirty-log", x86::GuestCpl::User},
                                           ModeCpl{"dirty-log", x86::GuestCpl::Kernel},
                                           ModeCpl{"clear-log", x86::GuestCpl::User},
                                           ModeCpl{"clear-log", x86::GuestCpl::Kernel},
                                           ModeCpl{"dirty-ring", x86::GuestCpl::User},
                                           ModeCpl{"dirty-ring", x86::GuestCpl::Kernel},
                                           ModeCpl{"dirty-ring-wait", x86::GuestCpl::User}),
                         mode_cpl_name);

// Reserves 2 MiB huge pages for one test and gives them back after, so the
// hugetlb backings run on a host that keeps none in reserve (needs root).
class HugePageReservation {
 public:
  explicit HugePageReservation(uint64_t pages) {
    before_ = read();
    if (!write(before_ + pages) || host_available_bytes(Backing::AnonymousHugetlb) < pages * (2ULL << 20))
      reason_ = "cannot reserve " + std::to_string(pages) +
                " huge pages via /proc/sys/vm/nr_hugepages (needs root and free memory)";
  }
  ~HugePageReservation() { write(before_); }
  const std::string& failure() const { return reason_; }

 private:
  static constexpr const char* kPath = "/proc/sys/vm/nr_hugepages";
  static uint64_t read() {
    std::ifstream f(kPath);
    uint64_t n = 0;
    f >> n;
    return n;
  }
  static bool write(uint64_t n) {
    std::ofstream f(kPath);
    f << n;
    f.flush();
    return static_cast<bool>(f);
  }
  uint64_t before_ = 0;
  std::string reason_;
};

class Backings : public ::testing::TestWithParam<Backing> {};

TEST_P(Backings, ClearLogPasses) {
  RunOptions o = brief("clear-log");
  o.guest.backing = GetParam();
  std::optional<HugePageReservation> reservation;
  if (backing_alignment(GetParam()) > 4096 && GetParam() != Backing::AnonymousThp) {
    reservation.emplace(o.guest.test_size / (2ULL << 20));
    if (!reservation->failure().empty()) GTEST_SKIP() << reservation->failure();
  }
  EXPECT_RUN_PASSES(run(o));
}

INSTANTIATE_TEST_SUITE_P(AllBackings, Backings,
                         ::testing::Values(Backing::Anonymous, Backing::AnonymousThp,
                                           Backing::AnonymousHugetlb, Backing::Shmem,
                                           Backing::SharedHugetlb),
                         [](const auto& p) { return std::string(backing_name(p.param)); });

TEST(Live, TwoVcpusTwoMemslots) {
  for (const char* mode : {"dirty-log", "clear-log", "dirty-ring", "dirty-ring-wait"}) {
    RunOptions o = brief(mode);
    o.guest.vcpus = 2;
    o.guest.memslots = 2;
    EXPECT_RUN_PASSES(run(o));
  }
}

// The sweep writes every page of test memory once per run, and the
// rewrites write pages again after a collection reported them.
TEST(Live, WriteMixCoversEveryPageAndRewritesReportedOnes) {
  for (const char* mode : {"dirty-log", "dirty-ring"}) {
    RunOptions o = brief(mode);
    o.guest.vcpus = 2;
    ModeResult r = run(o);
    EXPECT_RUN_PASSES(r);
    EXPECT_EQ(r.pages_written, o.guest.test_size / 4096) << mode;
    EXPECT_GT(r.pages_rewritten, r.pages_written / 2) << mode;
  }
}

// Memslots whose size is no multiple of 64 pages, so the last bitmap word
// of each is partial, and clear-log chunks end at a slot's odd end (the
// kernel's own test uses a slot 3 pages longer than a power of two).
TEST(Live, OddSizedSlotsEveryMode) {
  for (const char* mode : {"dirty-log", "clear-log", "dirty-ring", "dirty-ring-wait"}) {
    RunOptions o = brief(mode);
    o.guest.test_size = (16ULL << 20) + 3 * 4096;  // 4099 pages: slots of 1366, 1366, 1367
    o.guest.memslots = 3;
    o.guest.vcpus = 2;
    ModeResult r = run(o);
    EXPECT_RUN_PASSES(r);
    EXPECT_EQ(r.pages_written, 4099u) << mode;
  }
}

// By default the guest writes every page before logging is turned on (so
// turning it on must write-protect what is mapped); --log-from-start
// creates the memslots logging instead, so the first write to each page
// faults it in under logging (with THP, where a huge page would be wrong).
TEST(Live, LogFromStartEveryMode) {
  for (const char* mode : {"dirty-log", "clear-log", "dirty-ring", "dirty-ring-wait"}) {
    RunOptions o = brief(mode);
    o.populate_first = false;
    o.guest.backing = Backing::AnonymousThp;
    EXPECT_RUN_PASSES(run(o));
  }
}

TEST(Live, UnalignedSlotsMappedWithSmallGuestPages) {
  RunOptions o = brief("clear-log");
  o.guest.test_size = 3ULL << 20;  // 1.5 MiB slots: not 2 MiB aligned
  o.guest.memslots = 2;
  EXPECT_RUN_PASSES(run(o));
}
