#include "dirtyscope/stats/json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include "counter_fields.hpp"
#include "dirtyscope/json.hpp"
#include "dirtyscope/stats/ring_health.hpp"

namespace dirtyscope::stats {
namespace {

void counters(JsonWriter& w, const std::string& p, const VcpuCounters& c) {
  for (const auto& f : CounterFields<VcpuCounters>::all) w.key(p + f.name), w.value(c.*f.member);
  w.key(p + "occupancy_hwm"), w.value(c.occupancy_hwm);
}

// The ring-overrun alarm of one vCPU (ring_health.hpp): its capacity, the
// soft limit it is judged against and the verdict. Numbers the source
// cannot see are null, and so are the flags then: "unknown" must never
// read as "not late".
void ring_alarm(JsonWriter& w, const std::string& p, const VcpuCounters& c) {
  const RingHealth h = judge_ring(c.occupancy_hwm, c.ring_size);
  const auto if_known = [&](const char* key, auto value) {
    w.key(p + key);
    c.ring_size ? w.value(value) : w.null();
  };
  if_known("ring_size", c.ring_size);
  if_known("ring_soft_limit", h.soft_limit);
  w.key(p + "ring_alarm"), w.value(ring_verdict_name(h.verdict));
  if_known("ring_late", h.late());
  if_known("ring_overrun", h.overrun());
}

// A VM's (or all VMs') alarm: the worst vCPU verdict and how many vCPUs
// have each flag. Judged per vCPU, never on summed counters: a max of
// sizes against a max of high-water marks could mix two rings.
template <typename ForEachVcpu>
void ring_alarm_summary(JsonWriter& w, const std::string& p, ForEachVcpu&& each) {
  RingVerdict worst = RingVerdict::NoRing;
  std::uint64_t late = 0, overrun = 0, unknown = 0;
  each([&](const VcpuCounters& c) {
    const RingHealth h = judge_ring(c.occupancy_hwm, c.ring_size);
    worst = std::max(worst, h.verdict);
    late += h.late();
    overrun += h.overrun();
    unknown += h.verdict == RingVerdict::Unknown;
  });
  w.key(p + "ring_alarm"), w.value(ring_verdict_name(worst));
  w.key(p + "ring_late_vcpus"), w.value(late);
  w.key(p + "ring_overrun_vcpus"), w.value(overrun);
  w.key(p + "ring_unknown_vcpus"), w.value(unknown);
}

// Only for sources that count them: SPP ("<p>spp_<counter>") and drops
// ("<p>drop_<reason>", "<p>drop_events" being every counted event lost).
// A missing key says "not counted here" (or, module-wide drops, "not
// readable by this caller"); a 0 would claim "counted, none".
template <typename T>
void optional_counters(JsonWriter& w, const std::string& p, const std::optional<T>& c) {
  if (c)
    for (const auto& f : CounterFields<T>::all) w.key(p + f.name), w.value((*c).*f.member);
}

// Why the counts may not be exact though nothing was dropped; only when
// there is a reason.
void inexact(JsonWriter& w, const std::string& p, const std::vector<std::string>& notes) {
  if (notes.empty()) return;
  w.key(p + "inexact");
  w.begin_array();
  for (const std::string& n : notes) w.value(n);
  w.end_array();
}

void percentile(JsonWriter& w, std::string_view key, const Log2Histogram& h, double p) {
  w.key(key);
  const auto v = h.percentile(p);
  v ? w.value(static_cast<std::uint64_t>(std::llround(*v))) : w.null();
}

void ioctl(JsonWriter& w, const IoctlStats& s) {
  w.begin_object();
  w.key("count"), w.value(s.count);
  w.key("total_ns"), w.value(s.total_ns);
  w.key("mean_ns");
  s.count ? w.value(s.total_ns / s.count) : w.null();
  percentile(w, "p50_ns", s.latency_ns, 50);
  percentile(w, "p90_ns", s.latency_ns, 90);
  percentile(w, "p99_ns", s.latency_ns, 99);
  // Index = log2 bucket: element i counts latencies in [2^i, 2^(i+1)) ns.
  // Trailing empty buckets are left out.
  std::size_t last = 0;
  for (std::size_t i = 0; i < Log2Histogram::kSlots; ++i)
    if (s.latency_ns.bucket(i)) last = i + 1;
  w.key("log2_hist_ns");
  w.begin_array();
  for (std::size_t i = 0; i < last; ++i) w.value(s.latency_ns.bucket(i));
  w.end_array();
  w.end_object();
}

template <typename IoctlOf>
void ioctls(JsonWriter& w, const std::string& p, std::uint64_t total, IoctlOf&& of) {
  w.key(p + "ioctl_count"), w.value(total);
  w.key(p + "ioctl");
  w.begin_object();
  for (DirtyIoctl which : kAllDirtyIoctls) {
    w.key(ioctl_name(which));
    ioctl(w, of(which));
  }
  w.end_object();
}

}  // namespace

std::string to_json(const DirtyStats& stats, int indent) {
  const std::string p = stats.source + ".";
  std::ostringstream out;
  JsonWriter w(out, indent);
  w.begin_object();
  w.key("source"), w.value(stats.source);
  counters(w, p, stats.totals());
  optional_counters(w, p + "spp_", stats.spp_total());
  optional_counters(w, p + "drop_", stats.drops);
  inexact(w, p, stats.inexact);
  ioctls(w, p, stats.ioctl_count(), [&](DirtyIoctl which) { return stats.ioctl_total(which); });
  ring_alarm_summary(w, p, [&](auto&& fn) {
    for (const auto& vm_entry : stats.vms)
      for (const auto& vcpu_entry : vm_entry.second.vcpus) fn(vcpu_entry.second);
  });
  w.key("vms");
  w.begin_array();
  for (const auto& [pid, vm] : stats.vms) {
    w.begin_object();
    w.key("pid"), w.value(static_cast<std::int64_t>(pid));
    counters(w, p, vm.totals());
    optional_counters(w, p + "spp_", vm.spp);
    optional_counters(w, p + "drop_", vm.drops);
    // A named reference: clang 14 (the fuzz build) cannot capture a
    // structured binding in a lambda.
    const auto& vm_ref = vm;
    ioctls(w, p, vm.ioctl_count(), [&](DirtyIoctl which) { return vm_ref.ioctl(which); });
    ring_alarm_summary(w, p, [&](auto&& fn) {
      for (const auto& vcpu_entry : vm_ref.vcpus) fn(vcpu_entry.second);
    });
    w.key("vcpus");
    w.begin_array();
    for (const auto& [id, c] : vm.vcpus) {
      w.begin_object();
      w.key("vcpu_id"), w.value(static_cast<std::int64_t>(id));
      counters(w, p, c);
      ring_alarm(w, p, c);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return out.str();
}

}  // namespace dirtyscope::stats
