#include "dirtyscope/write_mix.hpp"

#include <algorithm>
#include <atomic>

#include "dirtyscope/text_list.hpp"

namespace dirtyscope {

WriteMix::WriteMix(GuestVm& guest, uint32_t iterations, WriteMixOptions options)
    : guest_(guest), options_(options) {
  const uint64_t pages = guest.region().pages();
  const uint64_t n = guest.vcpus().size();
  for (uint64_t i = 0; i < n; ++i) {
    Share s;
    s.first = i * pages / n;
    s.pages = (i + 1) * pages / n - s.first;
    s.window = iterations ? (s.pages + iterations - 1) / iterations : s.pages;
    shares_.push_back(s);
  }
}

void WriteMix::plan_populate() {
  for (uint32_t i = 0; i < shares_.size(); ++i) {
    ds_vcpu_mix& m = guest_.shared()->mix[i];
    m.sweep_first = shares_[i].first;
    m.sweep_count = shares_[i].pages;
    m.sweep_done = 0;
    m.carry_count = 0;
    m.carry_done = 0;
  }
}

void WriteMix::plan_iteration(uint64_t k) {
  for (uint32_t i = 0; i < shares_.size(); ++i) {
    Share& s = shares_[i];
    ds_vcpu_mix& m = guest_.shared()->mix[i];
    // The window of iteration j (1-based) within the share, clipped.
    auto window_of = [&](uint64_t j, uint64_t& first, uint64_t& count) {
      const uint64_t start = std::min(s.pages, (j - 1) * s.window);
      first = s.first + start;
      count = std::min(s.window, s.pages - start);
    };
    uint64_t first = 0, count = 0;
    if (options_.sweep) window_of(k, first, count);
    m.sweep_first = first;
    m.sweep_count = count;
    m.sweep_done = 0;
    s.recent_next = first;
    first = count = 0;
    if (options_.sweep && options_.rewrite && k > 1) window_of(k - 1, first, count);
    m.carry_first = first;
    m.carry_count = count;
    m.carry_done = 0;
  }
}

void WriteMix::after_running_collection() {
  if (!options_.sweep || !options_.rewrite) return;
  for (uint32_t i = 0; i < shares_.size(); ++i) {
    Share& s = shares_[i];
    ds_vcpu_mix& m = guest_.shared()->mix[i];
    if (m.recent_progress != DS_RECENT_PROGRESS(m.recent_gen, m.recent_count)) continue;  // still busy
    const uint64_t swept_end = m.sweep_first + std::min(uint64_t{m.sweep_done}, m.sweep_count);
    if (swept_end <= s.recent_next) continue;
    m.recent_first = s.recent_next;
    m.recent_count = swept_end - s.recent_next;
    s.recent_next = swept_end;
    // Publish: the range must be in memory before the guest sees the new
    // generation (the guest reads gen first, then the range).
    std::atomic_thread_fence(std::memory_order_release);
    m.recent_gen = m.recent_gen + 1;
  }
}

std::string WriteMix::pending() {
  std::string behind;
  for (uint32_t i = 0; i < shares_.size(); ++i) {
    const ds_vcpu_mix& m = guest_.shared()->mix[i];
    std::string what;
    if (m.sweep_done < m.sweep_count)
      what += " sweep " + std::to_string(m.sweep_done) + "/" + std::to_string(m.sweep_count);
    if (m.carry_done < m.carry_count)
      what += " rewrite " + std::to_string(m.carry_done) + "/" + std::to_string(m.carry_count);
    if (m.recent_progress != DS_RECENT_PROGRESS(m.recent_gen, m.recent_count))
      what += " recent " + std::to_string(m.recent_progress & 0xffffffffu) + "/" + std::to_string(m.recent_count);
    if (!what.empty()) append_item(behind, "; ", "vCPU " + std::to_string(i) + ":" + what);
  }
  return behind;
}

}  // namespace dirtyscope
