// Field-by-field arithmetic of the counter structs, written once: each
// struct lists its counters in CounterFields<T>::all (maxima and sizes are
// not counters: a difference keeps the newer value, a sum is the caller's).
#pragma once

#include <array>

#include "dirtyscope/stats/dirty_stats.hpp"

namespace dirtyscope::stats {

template <typename T>
struct CounterFields;
template <>
struct CounterFields<VcpuCounters> {
  static constexpr std::array all{&VcpuCounters::ring_pushes,      &VcpuCounters::ring_resets,
                                  &VcpuCounters::ring_full_exits,  &VcpuCounters::page_faults,
                                  &VcpuCounters::fast_page_faults, &VcpuCounters::set_spte};
};
template <>
struct CounterFields<SppCounters> {
  static constexpr std::array all{&SppCounters::allowed, &SppCounters::denied, &SppCounters::events_dropped};
};
template <>
struct CounterFields<DropCounters> {
  static constexpr std::array all{&DropCounters::events,     &DropCounters::pending_events, &DropCounters::vm_alloc,
                                  &DropCounters::vm_table_full, &DropCounters::vcpu_alloc, &DropCounters::task,
                                  &DropCounters::notify};
};

template <typename T>
void add_counters(T& sum, const T& c) {
  for (auto f : CounterFields<T>::all) sum.*f += c.*f;
}

// Some counter of `now` is below `base`'s: reset in between.
template <typename T>
bool went_backwards(const T& now, const T& base) {
  for (auto f : CounterFields<T>::all)
    if (now.*f < base.*f) return true;
  return false;
}

// now - base, counter by counter (the caller checked went_backwards).
template <typename T>
T minus(const T& now, const T& base) {
  T d = now;
  for (auto f : CounterFields<T>::all) d.*f -= base.*f;
  return d;
}

// now - base, each counter clamped at 0: counters only grow while a source
// runs, but one restarted between snapshots must yield 0, not 2^64 - k.
template <typename T>
T minus_clamped(const T& now, const T& base) {
  T d = now;
  for (auto f : CounterFields<T>::all) d.*f = now.*f > base.*f ? now.*f - base.*f : 0;
  return d;
}

}  // namespace dirtyscope::stats
