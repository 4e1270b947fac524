// Field-by-field arithmetic of the counter structs, written once: each
// struct lists its counters in CounterFields<T>::all, named as the tail of
// their JSON keys (maxima and sizes are not counters: a difference keeps
// the newer value, a sum is the caller's).
#pragma once

#include <cstdint>
#include <optional>

#include "dirtyscope/stats/dirty_stats.hpp"

namespace dirtyscope::stats {

template <typename T>
struct Counter {
  std::uint64_t T::*member;
  const char* name;
};
#define DS_COUNTER(T, f) Counter<T>{&T::f, #f}

template <typename T>
struct CounterFields;
template <>
struct CounterFields<VcpuCounters> {
  static constexpr Counter<VcpuCounters> all[] = {
      DS_COUNTER(VcpuCounters, ring_pushes), DS_COUNTER(VcpuCounters, ring_resets),
      DS_COUNTER(VcpuCounters, ring_full_exits), DS_COUNTER(VcpuCounters, page_faults),
      DS_COUNTER(VcpuCounters, fast_page_faults), DS_COUNTER(VcpuCounters, set_spte)};
};
template <>
struct CounterFields<SppCounters> {
  static constexpr Counter<SppCounters> all[] = {DS_COUNTER(SppCounters, allowed), DS_COUNTER(SppCounters, denied),
                                                 DS_COUNTER(SppCounters, events_dropped)};
};
template <>
struct CounterFields<DropCounters> {
  static constexpr Counter<DropCounters> all[] = {
      DS_COUNTER(DropCounters, events),     DS_COUNTER(DropCounters, pending_events),
      DS_COUNTER(DropCounters, vm_alloc),   DS_COUNTER(DropCounters, vm_table_full),
      DS_COUNTER(DropCounters, vcpu_alloc), DS_COUNTER(DropCounters, task),
      DS_COUNTER(DropCounters, notify)};
};

template <typename T>
void add_counters(T& sum, const T& c) {
  for (auto f : CounterFields<T>::all) sum.*f.member += c.*f.member;
}

// Some counter of `now` is below `base`'s: reset in between.
template <typename T>
bool went_backwards(const T& now, const T& base) {
  for (auto f : CounterFields<T>::all)
    if (now.*f.member < base.*f.member) return true;
  return false;
}

// now - base, counter by counter (the caller checked went_backwards).
template <typename T>
T minus(const T& now, const T& base) {
  T d = now;
  for (auto f : CounterFields<T>::all) d.*f.member -= base.*f.member;
  return d;
}

// now - base, each counter clamped at 0: counters only grow while a source
// runs, but one restarted between snapshots must yield 0, not 2^64 - k.
template <typename T>
T minus_clamped(const T& now, const T& base) {
  T d = now;
  for (auto f : CounterFields<T>::all) d.*f.member = now.*f.member > base.*f.member ? now.*f.member - base.*f.member : 0;
  return d;
}

// Counters a source may not count (absent: not counted). Over a window:
// now - base where both have them, now where only now has them.
template <typename T>
std::optional<T> since(const std::optional<T>& now, const std::optional<T>& base) {
  return now && base ? minus_clamped(*now, *base) : now;
}

// Adds `c` to `sum` where it is counted; a sum starts at 0 once one is.
template <typename T>
void add_counted(std::optional<T>& sum, const std::optional<T>& c) {
  if (!c) return;
  if (!sum) sum.emplace();
  *sum += *c;
}

}  // namespace dirtyscope::stats
