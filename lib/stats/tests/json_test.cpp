#include <gtest/gtest.h>

#include <string>

#include "dirtyscope/stats/json.hpp"

namespace dirtyscope::stats {
namespace {

DirtyStats sample() {
  DirtyStats s;
  s.source = "bpf";
  VmStats& vm = s.vms[42];
  vm.pid = 42;
  vm.vcpus[0] = {3, 2, 1, 0, 0, 4, 3};
  IoctlStats& r = vm.ioctl(DirtyIoctl::ResetDirtyRings);
  r.count = 1;
  r.total_ns = 1000;
  r.latency_ns.record(1000);  // bucket 9: [512, 1024)
  return s;
}

const std::string kEmptyIoctl =
    R"({"count":0,"total_ns":0,"mean_ns":null,"p50_ns":null,"p90_ns":null,"p99_ns":null,"log2_hist_ns":[]})";
// One sample: every percentile is the top of its bucket.
const std::string kResetIoctl =
    R"({"count":1,"total_ns":1000,"mean_ns":1000,"p50_ns":1024,"p90_ns":1024,"p99_ns":1024,"log2_hist_ns":[0,0,0,0,0,0,0,0,0,1]})";
const std::string kCounters =
    R"("bpf.ring_pushes":3,"bpf.ring_resets":2,"bpf.ring_full_exits":1,"bpf.page_faults":0,)"
    R"("bpf.fast_page_faults":0,"bpf.set_spte":4,"bpf.occupancy_hwm":3)";
const std::string kIoctls = R"("bpf.ioctl_count":1,"bpf.ioctl":{"KVM_GET_DIRTY_LOG":)" + kEmptyIoctl +
                            R"(,"KVM_CLEAR_DIRTY_LOG":)" + kEmptyIoctl +
                            R"(,"KVM_RESET_DIRTY_RINGS":)" + kResetIoctl + "}";
// The ring-overrun alarm (ring_health.hpp): the sample's source saw no
// ring size, so the vCPU's ring is "unknown", never "ok".
const std::string kAlarmSummary =
    R"("bpf.ring_alarm":"unknown","bpf.ring_late_vcpus":0,"bpf.ring_overrun_vcpus":0,"bpf.ring_unknown_vcpus":1)";
const std::string kVcpuAlarm =
    R"("bpf.ring_size":null,"bpf.ring_soft_limit":null,"bpf.ring_alarm":"unknown","bpf.ring_late":null,)"
    R"("bpf.ring_overrun":null)";

TEST(Json, CompactDocumentIsExact) {
  const std::string want = R"({"source":"bpf",)" + kCounters + "," + kIoctls + "," + kAlarmSummary +
                           R"(,"vms":[{"pid":42,)" + kCounters + "," + kIoctls + "," + kAlarmSummary +
                           R"(,"vcpus":[{"vcpu_id":0,)" + kCounters + "," + kVcpuAlarm + "}]}]}";
  EXPECT_EQ(to_json(sample()), want);
}

TEST(Json, ContractKeysUseTheSourcePrefix) {
  DirtyStats s = sample();
  s.source = "kmod";
  const std::string j = to_json(s);
  for (const char* key : {"ring_pushes", "ring_resets", "ring_full_exits", "ioctl_count",
                          "set_spte", "occupancy_hwm"}) {
    EXPECT_NE(j.find(std::string("\"kmod.") + key + "\":"), std::string::npos) << key;
    EXPECT_EQ(j.find(std::string("\"bpf.") + key + "\""), std::string::npos) << key;
  }
}

TEST(Json, EmptyStatsIsAValidObject) {
  DirtyStats s;
  s.source = "bpf";
  const std::string j = to_json(s);
  EXPECT_EQ(j.front(), '{');
  EXPECT_EQ(j.back(), '}');
  EXPECT_NE(j.find(R"("vms":[])"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("bpf.ring_pushes":0)"), std::string::npos) << j;
}

TEST(Json, PrettyPrintHasSameContent) {
  const std::string pretty = to_json(sample(), 2);
  std::string squeezed;
  bool in_string = false;
  for (char c : pretty) {
    if (c == '"') in_string = !in_string;
    if (!in_string && (c == ' ' || c == '\n')) continue;
    squeezed += c;
  }
  EXPECT_EQ(squeezed, to_json(sample()));
  EXPECT_NE(pretty.find("\n  \"source\": \"bpf\""), std::string::npos) << pretty;
}

TEST(Json, EscapesStrings) {
  DirtyStats s;
  s.source = "a\"b\\c\n\x01";
  const std::string j = to_json(s);
  EXPECT_NE(j.find(R"("source":"a\"b\\c\n\u0001")"), std::string::npos) << j;
}

TEST(Json, SppKeysFollowTheCountersOnlyWhenTheSourceCountsSpp) {
  DirtyStats s = sample();
  s.source = "kmod";
  // Without SPP counts (the BPF dirty-tracking source): no key at all.
  EXPECT_EQ(to_json(s).find("spp_"), std::string::npos);
  s.vms[42].spp = SppCounters{.allowed = 7, .denied = 5, .events_dropped = 1};
  VmStats& other = s.vms[43];
  other.pid = 43;
  other.spp = SppCounters{.allowed = 1, .denied = 2, .events_dropped = 0};
  const std::string j = to_json(s);
  const std::string top = R"("kmod.occupancy_hwm":3,"kmod.spp_allowed":8,"kmod.spp_denied":7,)"
                          R"("kmod.spp_events_dropped":1,"kmod.ioctl_count")";
  const std::string vm42 = R"("kmod.occupancy_hwm":3,"kmod.spp_allowed":7,"kmod.spp_denied":5,)"
                           R"("kmod.spp_events_dropped":1,"kmod.ioctl_count")";
  const std::string vm43 = R"("kmod.occupancy_hwm":0,"kmod.spp_allowed":1,"kmod.spp_denied":2,)"
                           R"("kmod.spp_events_dropped":0,"kmod.ioctl_count")";
  EXPECT_EQ(j.find(top), j.find(R"("kmod.occupancy_hwm")")) << j;
  EXPECT_NE(j.find(vm42), std::string::npos) << j;
  EXPECT_NE(j.find(vm43), std::string::npos) << j;
  // Per vCPU there is no SPP: the counters are followed by the ring alarm.
  EXPECT_NE(j.find(R"("vcpu_id":0,"kmod.ring_pushes":3,"kmod.ring_resets":2,"kmod.ring_full_exits":1,)"
                   R"("kmod.page_faults":0,"kmod.fast_page_faults":0,"kmod.set_spte":4,"kmod.occupancy_hwm":3,)"
                   R"("kmod.ring_size":null,)"),
            std::string::npos)
      << j;
}

}  // namespace
}  // namespace dirtyscope::stats
