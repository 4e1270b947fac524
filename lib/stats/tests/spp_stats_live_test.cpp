// Both SppStatsSource kinds against a real guest: a real-mode guest stores
// into two pages of a KVM_MEM_READONLY slot, so every store exits as
// KVM_EXIT_MMIO; this test judges each exit itself by its own copy of the
// vectors and requires the source's allowed/denied counts to equal its own,
// exactly, round after round. Where a source cannot run (no module, no BPF
// privilege) the test skips with the reason; the nested-VM suite passes
// --no-skip, so there a skip fails (kselftest_gtest_main.cpp).
#include <gtest/gtest.h>
#include <linux/dirtyscope.h>
#include <linux/kvm.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "dirtyscope/stats/json.hpp"
#include "dirtyscope/stats/kmod_stats_source.hpp"
#include "dirtyscope/stats/spp_stats.hpp"
#include "mini_guest.hpp"

namespace dirtyscope::stats::testing {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kSppGpa = RealModeGuest::kDataGpa;  // DS = 0x1000: offsets below are from here
constexpr std::uint64_t kSppGfn = kSppGpa / kPage;
constexpr int kSppPages = 2;

struct Store {
  std::uint16_t off;
  std::uint8_t size;
};

// Sizes 1, 2 and 4; 7 straddle two sub-pages, one (0xffe) crosses the
// page boundary (the emulator splits it: one MMIO exit per page).
constexpr Store kStores[] = {
    {0x000, 1}, {0x07f, 1}, {0x080, 1}, {0x5a3, 1}, {0xfff, 1}, {0x07f, 2}, {0x100, 2},
    {0x8ff, 2}, {0x0fe, 4}, {0x37d, 4}, {0xc00, 4}, {0xffe, 4}, {0xffd, 2}, {0x1010, 1},
    {0x187f, 2}, {0x1bc0, 4}, {0x1ffc, 4}, {0x1f7e, 4},
};

// Real mode: mov ax, 0x1000; mov ds, ax; the stores; hlt; jmp to the first
// store, so every run after a HLT repeats the same stores.
std::vector<std::uint8_t> guest_code() {
  std::vector<std::uint8_t> c = {0xb8, 0x00, 0x10, 0x8e, 0xd8};
  const std::size_t loop = c.size();
  std::uint8_t value = 0x11;
  for (const Store& s : kStores) {
    if (s.size == 4) c.push_back(0x66);                // operand-size prefix
    c.push_back(s.size == 1 ? 0xc6 : 0xc7);            // mov r/m, imm
    c.push_back(0x06);                                 // [disp16]
    c.push_back(static_cast<std::uint8_t>(s.off & 0xff));
    c.push_back(static_cast<std::uint8_t>(s.off >> 8));
    for (int i = 0; i < s.size; ++i) c.push_back(value++);
  }
  c.push_back(0xf4);  // hlt
  const auto rel = static_cast<std::int16_t>(static_cast<std::ptrdiff_t>(loop) -
                                             static_cast<std::ptrdiff_t>(c.size() + 3));
  c.push_back(0xe9);  // jmp rel16
  c.push_back(static_cast<std::uint8_t>(rel & 0xff));
  c.push_back(static_cast<std::uint8_t>((rel >> 8) & 0xff));
  return c;
}

// This test's own statement of the rule, byte by byte (the library's is a
// mask; two ways of writing it must agree).
bool allows(std::uint32_t vector, std::uint64_t gpa, std::uint32_t len) {
  for (std::uint64_t b = gpa % kPage; b < gpa % kPage + len && b < kPage; ++b)
    if (!(vector & (1u << (b / DIRTYSCOPE_SPP_SUBPAGE_SIZE)))) return false;
  return true;
}

// The guest and userspace's side of SPP: vectors, and its own decisions.
class SppGuest : public RealModeGuest {
 public:
  SppGuest() : RealModeGuest({.readonly_mem = true}, guest_code(), kSppPages, KVM_MEM_READONLY) {
    vectors_.fill(DIRTYSCOPE_SPP_FULL_ACCESS);
  }

  void set_vector(int page, std::uint32_t v) { vectors_.at(static_cast<std::size_t>(page)) = v; }

  // One pass of the stores up to HLT; returns the MMIO write exits seen.
  int round() {
    int exits = 0;
    run_to_halt([&](const kvm_run& run) {
      if (run.exit_reason != KVM_EXIT_MMIO || !run.mmio.is_write)
        throw std::runtime_error("unexpected exit " + std::to_string(run.exit_reason));
      const std::uint64_t gpa = run.mmio.phys_addr;
      if (gpa < kSppGpa || gpa + run.mmio.len > kSppGpa + kSppPages * kPage)
        throw std::runtime_error("MMIO write outside the SPP pages");
      ++exits;
      const std::uint32_t v = vectors_.at((gpa - kSppGpa) / kPage);
      if (v == DIRTYSCOPE_SPP_FULL_ACCESS) return;  // not registered: not judged
      if (allows(v, gpa, run.mmio.len)) {
        ++allowed_;
        std::memcpy(data_.as<std::uint8_t>() + (gpa - kSppGpa), run.mmio.data, run.mmio.len);
      } else {
        ++denied_;
      }
    });
    return exits;
  }

  SppStatsCounts counts() const { return {allowed_, denied_, 0}; }

 private:
  std::array<std::uint32_t, kSppPages> vectors_{};
  std::uint64_t allowed_ = 0, denied_ = 0;
};

int expected_exits() {
  int n = 0;
  for (const Store& s : kStores) n += (s.off % kPage) + s.size > kPage ? 2 : 1;
  return n;
}

std::string fmt(const SppStatsCounts& c) {
  return "allowed " + std::to_string(c.allowed) + " denied " + std::to_string(c.denied) + " events_dropped " +
         std::to_string(c.events_dropped);
}

class SppStatsLive : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (const std::string why = kvm_problem({.readonly_mem = true}); !why.empty()) GTEST_SKIP() << why;
  }
  // The source, or a skip with its reason.
  std::unique_ptr<SppStatsSource> open(const SppGuest& g) {
    try {
      auto src = make_spp_stats_source(GetParam(), ::getpid(), g.vm_fd());
      EXPECT_STREQ(src->name(), GetParam().c_str());
      return src;
    } catch (const StatsUnavailable& e) {
      skip_why_ = e.what();
      return nullptr;
    }
  }
  std::string skip_why_;
};

#define OPEN_OR_SKIP(var, guest) \
  auto var = open(guest);        \
  if (!var) GTEST_SKIP() << GetParam() << ": " << skip_why_

// Sets page p's vector in the source and in the guest's own copy.
void set(SppStatsSource& src, SppGuest& g, int page, std::uint32_t v) {
  src.set_vectors(kSppGfn + static_cast<std::uint64_t>(page), 1, v);
  g.set_vector(page, v);
}

TEST_P(SppStatsLive, CountsEqualUserspacesOwnDecisionsEveryRound) {
  SppGuest g;
  // The module learns of a VM at its first exit: one unjudged round first.
  ASSERT_EQ(g.round(), expected_exits());
  OPEN_OR_SKIP(src, g);
  EXPECT_EQ(src->counts(), SppStatsCounts{}) << "nothing registered yet";
  // What `dirtyscope stats --source kmod` shows goes through DirtyStats:
  // it must carry the same SPP counts.
  std::optional<KmodStatsSource> dirty_stats;
  if (GetParam() == "kmod") dirty_stats.emplace(KmodOptions{.pid = ::getpid()});

  std::mt19937 rng(4242);
  const std::uint32_t r0 = static_cast<std::uint32_t>(rng()), r1 = static_cast<std::uint32_t>(rng());
  const struct {
    const char* what;
    std::uint32_t v0, v1;
  } rounds[] = {
      {"full access (unregistered)", DIRTYSCOPE_SPP_FULL_ACCESS, DIRTYSCOPE_SPP_FULL_ACCESS},
      {"no access", 0, 0},
      {"alternating sub-pages", 0x55555555u, 0xaaaaaaaau},
      {"page 0 registered with every bit, page 1 none", 0xffffffffu - 1, 0},  // bit 0 clear
      {"random, page 1 unregistered", r0, DIRTYSCOPE_SPP_FULL_ACCESS},
      {"random on both pages", r0, r1},
  };
  for (const auto& r : rounds) {
    set(*src, g, 0, r.v0);
    set(*src, g, 1, r.v1);
    ASSERT_EQ(g.round(), expected_exits()) << r.what;
    const SppStatsCounts own = g.counts();
    const SppStatsCounts got = src->counts();
    EXPECT_EQ(got, own) << r.what << ": " << GetParam() << " " << fmt(got) << ", userspace " << fmt(own);
  }
  const SppStatsCounts own = g.counts();
  // Not a trivial agreement: both decisions happened, many times.
  EXPECT_GT(own.allowed, 10u);
  EXPECT_GT(own.denied, 10u);
  if (dirty_stats) {
    const DirtyStats d = dirty_stats->snapshot();
    ASSERT_TRUE(d.vms.contains(::getpid()));
    EXPECT_EQ(d.vms.at(::getpid()).spp, own);
    const std::string json = to_json(d);
    // Only the SPP keys: the whole document is long.
    const auto at = json.find("\"kmod.spp_allowed\"");
    std::printf("# kmod DirtyStats JSON: %s\n",
                at == std::string::npos ? "no kmod.spp_* keys" : json.substr(at, json.find(",\"kmod.ioctl_count", at) - at).c_str());
  }
  std::printf("# %s: source %s; userspace %s\n", GetParam().c_str(), fmt(src->counts()).c_str(), fmt(own).c_str());
}

TEST_P(SppStatsLive, ASourceCountsOnlyFromItsCreation) {
  SppGuest g;
  ASSERT_EQ(g.round(), expected_exits());
  OPEN_OR_SKIP(first, g);
  set(*first, g, 0, 0);
  set(*first, g, 1, 0x0000ffffu);
  ASSERT_EQ(g.round(), expected_exits());
  const SppStatsCounts before = g.counts();
  ASSERT_EQ(first->counts(), before);
  ASSERT_GT(before.denied, 0u);

  // A second source for the same VM: the first round's counts are not its.
  OPEN_OR_SKIP(second, g);
  EXPECT_EQ(second->counts(), SppStatsCounts{}) << "counts from before the source existed leaked in";
  // (The BPF source keeps its own map: give it the vectors too.)
  second->set_vectors(kSppGfn, 1, 0);
  second->set_vectors(kSppGfn + 1, 1, 0x0000ffffu);
  ASSERT_EQ(g.round(), expected_exits());
  const SppStatsCounts after = g.counts();
  const SppStatsCounts round2{after.allowed - before.allowed, after.denied - before.denied, 0};
  EXPECT_EQ(second->counts(), round2);
  EXPECT_EQ(first->counts(), after);
}

TEST_P(SppStatsLive, UnregisteringStopsTheCounting) {
  SppGuest g;
  ASSERT_EQ(g.round(), expected_exits());
  OPEN_OR_SKIP(src, g);
  src->set_vectors(kSppGfn, kSppPages, 0);  // both pages in one call
  g.set_vector(0, 0), g.set_vector(1, 0);
  ASSERT_EQ(g.round(), expected_exits());
  const SppStatsCounts once = g.counts();
  EXPECT_EQ(once.denied, static_cast<std::uint64_t>(expected_exits()));
  EXPECT_EQ(src->counts(), once);
  src->set_vectors(kSppGfn, kSppPages, DIRTYSCOPE_SPP_FULL_ACCESS);
  g.set_vector(0, DIRTYSCOPE_SPP_FULL_ACCESS), g.set_vector(1, DIRTYSCOPE_SPP_FULL_ACCESS);
  ASSERT_EQ(g.round(), expected_exits());
  EXPECT_EQ(src->counts(), once) << "writes to unregistered pages were counted";
  EXPECT_THROW(src->set_vectors(kSppGfn, 0, 0), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Sources, SppStatsLive, ::testing::Values("kmod", "bpf"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// The module cannot take vectors for a VM it has not seen exit yet; the
// source must say so rather than fail obscurely or pretend.
TEST(SppStatsKmodLive, VectorsBeforeTheVmsFirstExitAreRefusedWithTheReason) {
  if (const std::string why = kvm_problem({.readonly_mem = true}); !why.empty()) GTEST_SKIP() << why;
  SppGuest g;
  std::unique_ptr<SppStatsSource> src;
  try {
    src = make_spp_stats_source("kmod", ::getpid(), g.vm_fd());
  } catch (const StatsUnavailable& e) {
    GTEST_SKIP() << e.what();
  }
  try {
    src->set_vectors(kSppGfn, 1, 0);
    FAIL() << "SPP_SET accepted for a VM the module has not seen";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not know VM"), std::string::npos) << e.what();
  }
  EXPECT_EQ(src->counts(), SppStatsCounts{});
}

}  // namespace
}  // namespace dirtyscope::stats::testing
