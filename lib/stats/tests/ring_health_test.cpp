// The ring-overrun alarm's judgement (ring_health.hpp) and its JSON form.
// Every flag has a negative twin: the same ring one entry on the healthy
// side of the threshold must not raise it.
#include <gtest/gtest.h>

#include <string>

#include "dirtyscope/stats/json.hpp"
#include "dirtyscope/stats/ring_health.hpp"

namespace dirtyscope::stats {
namespace {

// KVM's soft limit for the rings this project uses: size - 64 reserved.
static_assert(ring_soft_limit(256) == 192);
static_assert(ring_soft_limit(4096) == 4032);
static_assert(ring_soft_limit(64) == 0);  // saturates, never wraps
static_assert(ring_soft_limit(0) == 0);

struct Judged {
  std::uint64_t hwm, size;
  RingVerdict verdict;
  std::uint64_t soft_limit;
  bool late, overrun;
};

constexpr Judged kJudged[] = {
    // A healthy ring is harvested at its soft limit: 256 - 64 reserved.
    {192, 256, RingVerdict::Ok, 192, false, false},
    {0, 256, RingVerdict::Ok, 192, false, false},  // sized, never used
    {193, 256, RingVerdict::Late, 192, true, false},
    {255, 256, RingVerdict::Late, 192, true, false},  // one short of full is still only late
    // A full ring is an overrun, and an overrun was late first.
    {256, 256, RingVerdict::Overrun, 192, true, true},
    {257, 256, RingVerdict::Overrun, 192, true, true},
    {1000, 256, RingVerdict::Overrun, 192, true, true},
    {256, 4096, RingVerdict::Ok, 4032, false, false},  // the same hwm in a larger ring
    // Unknown size: no flag (cannot tell), and no all-clear either.
    {300, 0, RingVerdict::Unknown, 0, false, false},
    {0, 0, RingVerdict::NoRing, 0, false, false},  // no size, no entry: bitmap logging
};

TEST(RingHealth, EachThresholdAndItsHealthySide) {
  for (const Judged& j : kJudged) {
    const RingHealth h = judge_ring(j.hwm, j.size);
    const std::string at = std::to_string(j.hwm) + " of " + std::to_string(j.size);
    EXPECT_EQ(h.verdict, j.verdict) << at;
    EXPECT_EQ(h.soft_limit, j.soft_limit) << at;
    EXPECT_EQ(h.late(), j.late) << at;
    EXPECT_EQ(h.overrun(), j.overrun) << at;
  }
}

TEST(RingHealth, VerdictNames) {
  const std::pair<RingVerdict, const char*> names[] = {{RingVerdict::NoRing, "no-ring"}, {RingVerdict::Ok, "ok"},
      {RingVerdict::Unknown, "unknown"}, {RingVerdict::Late, "late"}, {RingVerdict::Overrun, "overrun"}};
  for (const auto& [verdict, name] : names) EXPECT_EQ(ring_verdict_name(verdict), name);
}

DirtyStats three_vcpus(std::uint64_t hwm1, std::uint64_t size1) {
  DirtyStats s;
  s.source = "bpf";
  VmStats& vm = s.vms[7];
  vm.pid = 7;
  vm.vcpus[0].occupancy_hwm = 192, vm.vcpus[0].ring_size = 256;
  vm.vcpus[1].occupancy_hwm = hwm1, vm.vcpus[1].ring_size = size1;
  vm.vcpus[kUnknownVcpu].set_spte = 5;  // no ring events: no-ring
  return s;
}

std::string vcpu_alarm(const char* size, const char* soft, const char* verdict, const char* late,
                       const char* overrun) {
  return std::string(R"("bpf.ring_size":)") + size + R"(,"bpf.ring_soft_limit":)" + soft +
         R"(,"bpf.ring_alarm":")" + verdict + R"(","bpf.ring_late":)" + late + R"(,"bpf.ring_overrun":)" +
         overrun + "}";
}

// A VM's or the document's alarm: the worst verdict, the vCPUs with each flag.
std::string summary(const char* verdict, int late, int overrun, int unknown) {
  return std::string(R"("bpf.ring_alarm":")") + verdict + R"(","bpf.ring_late_vcpus":)" + std::to_string(late) +
         R"(,"bpf.ring_overrun_vcpus":)" + std::to_string(overrun) + R"(,"bpf.ring_unknown_vcpus":)" +
         std::to_string(unknown) + ",";
}

// vCPU 1 of three_vcpus() in each state, next to a healthy vCPU 0 and a
// vCPU without a ring: its alarm, and the summary of the VM and of the
// whole document.
struct JsonCase {
  std::uint64_t hwm1, size1;
  std::string vcpu1, summary;
  bool flagged;  // some "true" in the document
};

TEST(RingHealthJson, EveryStateAtEveryLevel) {
  const JsonCase cases[] = {
      {150, 256, vcpu_alarm("256", "192", "ok", "false", "false"), summary("ok", 0, 0, 0), false},
      {200, 256, vcpu_alarm("256", "192", "late", "true", "false"), summary("late", 1, 0, 0), true},
      {256, 256, vcpu_alarm("256", "192", "overrun", "true", "true"), summary("overrun", 1, 1, 0), true},
      // Unknown is null, not false, and outranks the healthy vCPU 0: the VM is not "ok".
      {200, 0, vcpu_alarm("null", "null", "unknown", "null", "null"), summary("unknown", 0, 0, 1), false},
  };
  for (const JsonCase& c : cases) {
    const std::string j = to_json(three_vcpus(c.hwm1, c.size1));
    EXPECT_NE(j.find(c.vcpu1), std::string::npos) << j;
    // Top level (before "vms") and the VM (before "vcpus").
    EXPECT_NE(j.find(c.summary + R"("vms")"), std::string::npos) << j;
    EXPECT_NE(j.find(c.summary + R"("vcpus")"), std::string::npos) << j;
    EXPECT_EQ(j.find("true") != std::string::npos, c.flagged) << j;
    EXPECT_NE(j.find(vcpu_alarm("null", "null", "no-ring", "null", "null")), std::string::npos) << j;
  }
}

}  // namespace
}  // namespace dirtyscope::stats
