// The reference model of KVM's dirty-tracking contract that the schedule
// checker (schedule_model.hpp) runs: the whole state of one schedule, and
// what KVM does to a page at a store, a harvest and a re-protection, with
// the one fault a run may inject at any of them.
#pragma once

#include <cstdint>
#include <string>

#include "schedule_model.hpp"

namespace dirtyscope::schedule {

constexpr uint32_t kMaxVcpus = 3, kMaxPages = 4, kMaxWrites = 6;

// A page's dirty mark. Ring entries name the vCPU whose ring holds them.
enum Mark : uint8_t { kNoMark = 0, kMarked = 1, kCollected = 2, kPushedBy0 = 3 };

// Every field is a uint8_t, so the struct has no padding and its bytes,
// zeroed first, are a key.
struct State {
  struct Page {
    uint8_t stamp, writer, seq;  // what the page holds (writer 0: never written)
    uint8_t writable, mark;
  } page[kMaxPages];
  struct Cpu {
    uint8_t done;  // the write counter: writes complete
    uint8_t step;  // 0 between writes, 1 stamp stored, 2 writer word stored
    uint8_t page, write;
    // Late marking: its store faulted, KVM made `page` writable and has not
    // logged it yet (the store is retried once it has); 0 otherwise.
    uint8_t unlogged;
  } cpu[kMaxVcpus];
  struct Write {
    uint8_t page, landed, due, covered;  // due: collection number, 0 = not yet known
  } write[kMaxWrites];
  uint8_t writes;
  // Host: the collection under way (or next), its phase and step.
  uint8_t collection, phase, step, paused, iteration;
  uint8_t before[kMaxVcpus], after[kMaxVcpus];
  uint8_t report, pending, snapshot;  // page bit sets
  uint8_t mid_step, mid_used, mid_report;  // a ring harvest between collections
  uint8_t scanned[kMaxPages][3];
  uint8_t fault_fired, lost;
  uint8_t zero;  // always 0: the size stays a multiple of 4 (MemoKey appends a uint32_t)
};
static_assert(sizeof(State) % 4 == 0, "MemoKey must have no padding");
// The host's progress through a collection (State::phase).
enum Phase : uint8_t { kIdle, kHarvest, kAfterRead, kScan };

// How an operation's outcome differs from the contract, for a trace: not
// at all, or the fault struck at `page`. Its text is written only when a
// trace is printed.
struct FaultNote {
  const char* what = nullptr;  // null: KVM behaved
  uint32_t page = 0;
  std::string text() const {
    return what ? " (fault: page " + std::to_string(page) + what + ")" : std::string();
  }
};

// KVM's side: one per check, for its shape and fault. Where the fault may
// strike, an operation calls `next` once per outcome: as KVM should
// behave, then (if the fault is still unused) once per way it can strike,
// with a note saying how.
class KvmContract {
 public:
  KvmContract(Shape shape, Fault fault, uint32_t pages, bool late_mark)
      : shape_(shape), fault_(fault), pages_(pages), late_mark_(late_mark) {}

  // Whether a fault makes the page writable a step before it is marked
  // (Bounds::late_mark).
  bool late_mark() const { return late_mark_; }

  // Whether `kind` is this run's fault and has not struck yet.
  bool can_strike(Fault kind, const State& s) const {
    return kind != Fault::None && kind == fault_ && !s.fault_fired;
  }

  // A store by vCPU `w` to page `p`: a protected page faults, which marks
  // it (a bit, or an entry in `w`'s ring) and makes it writable; `lose`
  // is the missed-mark fault: writable, but no mark.
  void store(State& s, uint32_t w, uint32_t p, bool lose) const {
    auto& pg = s.page[p];
    if (pg.writable) return;
    pg.writable = 1;
    mark(s, w, p, lose);
  }

  // Logs page `p` for vCPU `w` (a bit, or an entry in `w`'s ring); `lose`
  // is the missed-mark fault.
  void mark(State& s, uint32_t w, uint32_t p, bool lose) const {
    if (!lose)
      s.page[p].mark = shape_ == Shape::Ring ? static_cast<uint8_t>(kPushedBy0 + w) : static_cast<uint8_t>(kMarked);
  }

  // Re-protects each page of `pages` (clearing its mark); the fault leaves
  // one of them writable. Calls `next` per outcome.
  template <typename F>
  Counts reprotect(const State& s, uint8_t pages, F&& next) {
    State n = s;
    for (uint32_t p = 0; p < pages_; ++p)
      if (pages >> p & 1) {
        n.page[p].mark = kNoMark;
        n.page[p].writable = 0;
      }
    State as_is = n;
    Counts c = next(as_is, FaultNote{});
    if (can_strike(Fault::MissedReprotect, s))
      for (uint32_t p = 0; p < pages_; ++p)
        if (pages >> p & 1) {
          State f = n;
          f.page[p].writable = 1;
          f.fault_fired = 1;
          c += next(f, FaultNote{" left writable", p});
        }
    return c;
  }

  // Harvests vCPU `w`'s ring: its entries become collected and join
  // `taken`; the fault drops one entry (the page stays writable, unmarked).
  template <typename F>
  Counts harvest_ring(const State& s, uint32_t w, uint8_t State::*taken, F&& next) {
    State n = s;
    uint8_t found = 0;
    for (uint32_t p = 0; p < pages_; ++p)
      if (s.page[p].mark == kPushedBy0 + w) {
        n.page[p].mark = kCollected;
        found |= static_cast<uint8_t>(1u << p);
      }
    n.*taken |= found;
    State as_is = n;
    Counts c = next(as_is, FaultNote{});
    if (can_strike(Fault::DroppedRingEntry, s))
      for (uint32_t p = 0; p < pages_; ++p)
        if (found >> p & 1) {
          State f = n;
          f.page[p].mark = kNoMark;
          f.*taken &= static_cast<uint8_t>(~(1u << p));
          f.fault_fired = 1;
          c += next(f, FaultNote{"'s entry dropped", p});
        }
    return c;
  }

  // Pages whose ring entries were harvested and await the reset.
  uint8_t collected(const State& s) const {
    return pages_where(s, [](const State::Page& pg) { return pg.mark == kCollected; });
  }
  // Pages with any mark: what KVM_GET_DIRTY_LOG reports.
  uint8_t marked(const State& s) const {
    return pages_where(s, [](const State::Page& pg) { return pg.mark != kNoMark; });
  }

 private:
  template <typename Pred>
  uint8_t pages_where(const State& s, Pred pred) const {
    uint8_t m = 0;
    for (uint32_t p = 0; p < pages_; ++p)
      if (pred(s.page[p])) m |= static_cast<uint8_t>(1u << p);
    return m;
  }

  Shape shape_;
  Fault fault_;
  uint32_t pages_;
  bool late_mark_;
};

}  // namespace dirtyscope::schedule
