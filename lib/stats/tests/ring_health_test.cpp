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

TEST(RingHealth, HealthyRingStopsAtTheSoftLimit) {
  // A healthy ring is harvested at its soft limit: 256 - 64 reserved.
  const RingHealth h = judge_ring(192, 256);
  EXPECT_EQ(h.verdict, RingVerdict::Ok);
  EXPECT_EQ(h.soft_limit, 192u);
  EXPECT_FALSE(h.late());
  EXPECT_FALSE(h.overrun());
  EXPECT_EQ(judge_ring(0, 256).verdict, RingVerdict::Ok);  // sized, never used
}

TEST(RingHealth, OnePastTheSoftLimitIsLate) {
  const RingHealth h = judge_ring(193, 256);
  EXPECT_EQ(h.verdict, RingVerdict::Late);
  EXPECT_TRUE(h.late());
  EXPECT_FALSE(h.overrun());
  // One short of full is still only late.
  EXPECT_EQ(judge_ring(255, 256).verdict, RingVerdict::Late);
}

TEST(RingHealth, AFullRingIsAnOverrun) {
  for (std::uint64_t hwm : {256u, 257u, 1000u}) {
    const RingHealth h = judge_ring(hwm, 256);
    EXPECT_EQ(h.verdict, RingVerdict::Overrun) << hwm;
    EXPECT_TRUE(h.overrun()) << hwm;
    EXPECT_TRUE(h.late()) << hwm;  // an overrun was late first
  }
  // Twin: the same hwm in a larger ring is healthy.
  EXPECT_EQ(judge_ring(256, 4096).verdict, RingVerdict::Ok);
}

TEST(RingHealth, UnknownSizeIsNeverOk) {
  const RingHealth h = judge_ring(300, 0);
  EXPECT_EQ(h.verdict, RingVerdict::Unknown);
  EXPECT_FALSE(h.late());  // cannot tell, so no flag...
  EXPECT_NE(h.verdict, RingVerdict::Ok);  // ...and no all-clear either
  // Twin: no size and no entry is a vCPU without a ring (bitmap logging).
  EXPECT_EQ(judge_ring(0, 0).verdict, RingVerdict::NoRing);
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

std::string vcpu_alarm(const std::string& prefix, const char* size, const char* soft, const char* verdict,
                       const char* late, const char* overrun) {
  return "\"" + prefix + "ring_size\":" + size + ",\"" + prefix + "ring_soft_limit\":" + soft + ",\"" +
         prefix + "ring_alarm\":\"" + verdict + "\",\"" + prefix + "ring_late\":" + late + ",\"" + prefix +
         "ring_overrun\":" + overrun + "}";
}

TEST(RingHealthJson, HealthyVmHasNoFlag) {
  const std::string j = to_json(three_vcpus(150, 256));
  EXPECT_NE(j.find(vcpu_alarm("bpf.", "256", "192", "ok", "false", "false")), std::string::npos) << j;
  EXPECT_NE(j.find(R"("bpf.ring_alarm":"ok","bpf.ring_late_vcpus":0,"bpf.ring_overrun_vcpus":0,)"
                   R"("bpf.ring_unknown_vcpus":0,"vcpus")"),
            std::string::npos)
      << j;
  EXPECT_EQ(j.find("true"), std::string::npos) << j;
  EXPECT_NE(j.find(vcpu_alarm("bpf.", "null", "null", "no-ring", "null", "null")), std::string::npos) << j;
}

TEST(RingHealthJson, LateVcpuIsFlaggedAndCounted) {
  const std::string j = to_json(three_vcpus(200, 256));
  EXPECT_NE(j.find(vcpu_alarm("bpf.", "256", "192", "late", "true", "false")), std::string::npos) << j;
  EXPECT_NE(j.find(R"("bpf.ring_alarm":"late","bpf.ring_late_vcpus":1,"bpf.ring_overrun_vcpus":0,)"),
            std::string::npos)
      << j;
}

TEST(RingHealthJson, OverrunVcpuIsFlaggedAtEveryLevel) {
  const std::string j = to_json(three_vcpus(256, 256));
  EXPECT_NE(j.find(vcpu_alarm("bpf.", "256", "192", "overrun", "true", "true")), std::string::npos) << j;
  const std::string summary =
      R"("bpf.ring_alarm":"overrun","bpf.ring_late_vcpus":1,"bpf.ring_overrun_vcpus":1,)"
      R"("bpf.ring_unknown_vcpus":0,)";
  // Top level (before "vms") and the VM (before "vcpus").
  EXPECT_NE(j.find(summary + R"("vms")"), std::string::npos) << j;
  EXPECT_NE(j.find(summary + R"("vcpus")"), std::string::npos) << j;
}

TEST(RingHealthJson, UnknownSizeIsNullNotFalse) {
  const std::string j = to_json(three_vcpus(200, 0));
  EXPECT_NE(j.find(vcpu_alarm("bpf.", "null", "null", "unknown", "null", "null")), std::string::npos) << j;
  // Unknown outranks the healthy vCPU 0: the VM is not "ok".
  EXPECT_NE(j.find(R"("bpf.ring_alarm":"unknown","bpf.ring_late_vcpus":0,"bpf.ring_overrun_vcpus":0,)"
                   R"("bpf.ring_unknown_vcpus":1,"vcpus")"),
            std::string::npos)
      << j;
}

}  // namespace
}  // namespace dirtyscope::stats
