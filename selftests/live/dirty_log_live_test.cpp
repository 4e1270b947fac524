// Each mode against the live kernel, briefly, in the configurations the
// issue names; and each injected fault, which must make the run fail and
// name the page. Skips (never passes) when /dev/kvm or a capability is
// missing.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>

#include "dirtyscope/error.hpp"
#include "dirtyscope/mode_runner.hpp"

using namespace dirtyscope;

namespace {

const KvmSystem* kvm_or_null() {
  static std::unique_ptr<KvmSystem> kvm = [] {
    try {
      return std::make_unique<KvmSystem>(KvmSystem::open());
    } catch (const SkipError&) {
      return std::unique_ptr<KvmSystem>();
    }
  }();
  return kvm.get();
}

RunOptions brief(const std::string& mode) {
  RunOptions o;
  o.mode = mode;
  o.iterations = 4;
  o.interval_ms = 10;
  o.guest.test_size = 256ULL << 20;
  return o;
}

ModeResult run(const RunOptions& o) {
  const KvmSystem* kvm = kvm_or_null();
  if (!kvm) return ModeResult{o.mode, Outcome::Skip, "/dev/kvm unavailable"};
  return run_mode(*kvm, o, [](const std::string&) {});
}

#define EXPECT_RUN_PASSES(result)                                                  \
  do {                                                                             \
    const ModeResult& r_ = (result);                                               \
    if (r_.outcome == Outcome::Skip) GTEST_SKIP() << r_.reason;                    \
    EXPECT_EQ(r_.outcome, Outcome::Pass) << r_.reason;                             \
    EXPECT_GT(r_.iterations, 0u);                                                  \
    EXPECT_GT(r_.guest_writes, 0u);                                                \
    EXPECT_GT(r_.pages_reported_dirty, 0u);                                        \
  } while (0)

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
                                           ModeCpl{"clear-log", x86::GuestCpl::Kernel}),
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
  for (const char* mode : {"dirty-log", "clear-log"}) {
    RunOptions o = brief(mode);
    o.guest.vcpus = 2;
    o.guest.memslots = 2;
    EXPECT_RUN_PASSES(run(o));
  }
}

TEST(Live, UnalignedSlotsMappedWithSmallGuestPages) {
  RunOptions o = brief("clear-log");
  o.guest.test_size = 3ULL << 20;  // 1.5 MiB slots: not 2 MiB aligned
  o.guest.memslots = 2;
  EXPECT_RUN_PASSES(run(o));
}

struct Fault {
  const char* mode;
  Injection injection;
  const char* expected;  // offence kind the verifier must name
};

class Injected : public ::testing::TestWithParam<Fault> {};

// True when `summary` says "<kind> N" with N > 0.
bool counts_some(const std::string& summary, const std::string& kind) {
  size_t at = summary.find(kind + " ");
  if (at == std::string::npos) return false;
  char digit = summary[at + kind.size() + 1];
  return digit >= '1' && digit <= '9';
}

TEST_P(Injected, RunFailsNamingThePage) {
  RunOptions o = brief(GetParam().mode);
  o.iterations = 6;
  o.injection = GetParam().injection;
  ModeResult r = run(o);
  if (r.outcome == Outcome::Skip) GTEST_SKIP() << r.reason;
  EXPECT_EQ(r.outcome, Outcome::Fail);
  ASSERT_FALSE(r.offenders.empty()) << r.reason;
  // The summary counts the expected kind of offence ("missed 3, stale 0").
  EXPECT_TRUE(counts_some(r.reason, GetParam().expected)) << r.reason;
  EXPECT_NE(r.offenders.front().find("gfn 0x"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    BitmapFaults, Injected,
    ::testing::Values(Fault{"dirty-log", Injection::DropDirty, "missed"},
                      Fault{"dirty-log", Injection::SkipClear, "missed"},
                      Fault{"clear-log", Injection::DropDirty, "missed"},
                      Fault{"clear-log", Injection::SkipClear, "stale"}),
    [](const auto& p) {
      std::string n = std::string(p.param.mode) + "_" + injection_name(p.param.injection);
      for (auto& c : n)
        if (c == '-') c = '_';
      return n;
    });
