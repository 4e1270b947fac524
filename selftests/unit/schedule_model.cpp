#include "schedule_model.hpp"

#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "protocol.h"
#include "schedule_kvm.hpp"
#include "schedule_memo.hpp"

namespace dirtyscope::schedule {

const char* shape_name(Shape s) {
  switch (s) {
    case Shape::Bitmap: return "bitmap";
    case Shape::ClearLog: return "clear-log";
    case Shape::Ring: return "ring";
  }
  return "?";
}

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::None: return "none";
    case Fault::MissedMark: return "missed dirty mark";
    case Fault::MissedReprotect: return "missed re-protect";
    case Fault::DroppedRingEntry: return "dropped ring entry";
  }
  return "?";
}

Counts& Counts::operator+=(const Counts& o) {
  schedules += o.schedules;
  faulted += o.faulted;
  lost += o.lost;
  caught += o.caught;
  false_alarms += o.false_alarms;
  missed_losses += o.missed_losses;
  return *this;
}

std::string Result::summary() const {
  return std::to_string(schedules) + " schedules (" + std::to_string(states) + " states): " +
         std::to_string(faulted) + " with the fault, " + std::to_string(lost) + " lost a write, " +
         std::to_string(caught) + " failed, " + std::to_string(false_alarms) + " false alarms, " +
         std::to_string(missed_losses) + " losses passed";
}

namespace {

// A step's description in a trace. Most schedules never print theirs, so
// the text is written only then, by a callable that lives on the stack of
// the step that pushed it for as long as it is on the path.
class Label {
 public:
  template <typename F>
  explicit Label(const F& text)
      : text_(&text), write_([](const void* f) -> std::string { return (*static_cast<const F*>(f))(); }) {}
  std::string text() const { return write_(text_); }

 private:
  const void* text_;
  std::string (*write_)(const void*);
};

// What the memo is keyed on: the model state and which distinct verifier
// memory (CollectionVerifier::memory_key) the checker holds.
struct MemoKey {
  State state;
  uint32_t verifier;
};

std::string collection_name(const State& s) { return "collection " + std::to_string(s.collection); }

class Explorer {
 public:
  Explorer(Shape shape, Fault fault, const Bounds& b, const Tamper& tamper)
      : shape_(shape), b_(b), tamper_(tamper), kvm_(shape, fault, b.pages, b.late_mark), memory_(b.pages * 4096, 0),
        report_(b.pages) {
    if (b.vcpus > kMaxVcpus || b.pages > kMaxPages || b.vcpus * b.writes_per_vcpu > kMaxWrites ||
        b.collections < 1 || (b.mid_harvests && shape != Shape::Ring) ||
        (fault == Fault::DroppedRingEntry && shape != Shape::Ring))
      throw std::invalid_argument("schedule bounds out of range");
  }

  Result run() {
    State s;
    std::memset(&s, 0, sizeof s);
    s.collection = 1;
    s.iteration = 1;
    CollectionVerifier v(b_.pages, b_.vcpus);
    Collection c0;
    c0.paused = true;
    c0.writes_before = c0.writes_after = std::vector<uint64_t>(b_.vcpus, 0);
    if (!v.initial(c0, StampView{memory_.data(), b_.pages}, DirtySet(b_.pages), false).ok())
      throw std::logic_error("the verifier rejects an untouched region");
    static_cast<Counts&>(result_) = explore(s, intern(v));
    result_.states = memo_.size();
    return result_;
  }

 private:
  // Calls `next` once per outcome of an event where the fault may strike:
  // as KVM should behave, and (if unused) with the fault.
  template <typename F>
  Counts branch(State& s, Fault where, F&& next) {
    State as_is = s;
    Counts c = next(as_is, false);
    if (kvm_.can_strike(where, s)) {
      State f = s;
      f.fault_fired = 1;
      const auto note = [where] { return std::string("  (the next step with the fault: ") + fault_name(where) + ")"; };
      path_.emplace_back(note);
      c += next(f, true);
      path_.pop_back();
    }
    return c;
  }

  // `v` numbers the verifier's memory (intern): equal memories pass or
  // fail every later collection alike, so one copy of each is kept.
  Counts explore(const State& s, uint32_t v) {
    const MemoKey key{s, v};
    const uint64_t hash = memo_.hash(key);
    if (const Counts* known = memo_.find(key, hash)) return *known;
    Counts total;
    guest_steps(s, v, total);
    host_steps(s, v, total);
    mid_harvest_steps(s, v, total);
    memo_.insert(key, hash, total);
    return total;
  }

  template <typename F>
  Counts step(const State& s, uint32_t v, const F& label) {
    path_.emplace_back(label);
    Counts c = explore(s, v);
    path_.pop_back();
    return c;
  }

  uint32_t intern(const CollectionVerifier& v) {
    const auto [it, fresh] = verifier_numbers_.try_emplace(v.memory_key(), static_cast<uint32_t>(verifiers_.size()));
    if (fresh) verifiers_.push_back(v);
    return it->second;
  }

  // --- the guest ---------------------------------------------------------

  bool in_paused_collection(const State& s) const { return s.phase != kIdle && s.paused; }

  // The store vCPU `w` makes next, applied to `n`: the stamp of a new write
  // to page `p` (step 0), or its writer word (step 1).
  void land_store(State& n, uint32_t w, uint32_t p) const {
    auto& cpu = n.cpu[w];
    if (cpu.step == 0) {
      cpu.step = 1;
      cpu.page = static_cast<uint8_t>(p);
      cpu.write = n.writes;
      n.write[n.writes++] = State::Write{static_cast<uint8_t>(p), 0, 0, 0};
      n.page[p].stamp = n.iteration;
    } else {
      cpu.step = 2;
      n.page[p].writer = static_cast<uint8_t>(w + 1);
      n.page[p].seq = cpu.done;
      n.write[cpu.write].landed = 1;
    }
  }

  // vCPU `w`'s next store, to page `p`. A store to a protected page faults:
  // KVM marks the page and makes it writable, and the store lands; with
  // late marking, this step only makes it writable (the store waits).
  void store_step(const State& s, uint32_t v, uint32_t w, uint32_t p, Counts& total) {
    const auto& cpu = s.cpu[w];
    const bool faults = !s.page[p].writable;
    const auto what = [&s, &cpu, w, p] {
      return "vCPU " + std::to_string(w) + " " +
             (cpu.step == 0 ? "stores stamp " + std::to_string(s.iteration) + " of write #" : "stores the writer word of write #") +
             std::to_string(cpu.done) + " to page " + std::to_string(p);
    };
    if (faults && kvm_.late_mark()) {
      State n = s;
      n.page[p].writable = 1;
      n.cpu[w].unlogged = 1;
      n.cpu[w].page = static_cast<uint8_t>(p);
      total += step(n, v, [&] { return what() + ": faults, KVM makes the page writable (not logged yet)"; });
      return;
    }
    State n = s;
    land_store(n, w, p);
    total += branch(n, faults ? Fault::MissedMark : Fault::None, [&](State& m, bool lose) {
      kvm_.store(m, w, p, lose);
      return step(m, v, [&] { return what() + (faults ? " (faults)" : ""); });
    });
  }

  void guest_steps(const State& s, uint32_t v, Counts& total) {
    if (in_paused_collection(s)) return;
    for (uint32_t w = 0; w < b_.vcpus; ++w) {
      const auto& cpu = s.cpu[w];
      if (cpu.unlogged) {
        // Late marking: KVM logs the page, then the faulted store lands.
        State n = s;
        const uint32_t p = cpu.page;
        n.cpu[w].unlogged = 0;
        land_store(n, w, p);
        total += branch(n, Fault::MissedMark, [&](State& m, bool lose) {
          kvm_.mark(m, w, p, lose);
          return step(m, v, [&] {
            return "vCPU " + std::to_string(w) + ": KVM logs page " + std::to_string(p) + ", the store lands";
          });
        });
      } else if (cpu.step == 0) {
        if (cpu.done >= b_.writes_per_vcpu) continue;
        for (uint32_t p = 0; p < b_.pages; ++p) store_step(s, v, w, p, total);
      } else if (cpu.step == 1) {
        store_step(s, v, w, cpu.page, total);
      } else {
        State n = s;
        n.cpu[w].step = 0;
        ++n.cpu[w].done;
        total += step(n, v, [&] { return "vCPU " + std::to_string(w) + " counts write #" + std::to_string(cpu.done) + " done"; });
      }
    }
  }

  // --- harvests between collections (ring only) -------------------------

  void mid_harvest_steps(const State& s, uint32_t v, Counts& total) {
    if (shape_ != Shape::Ring || s.phase == kHarvest || in_paused_collection(s)) return;
    if (s.mid_step == 0) {
      if (s.mid_used >= b_.mid_harvests) return;
      State n = s;
      n.mid_step = 1;
      ++n.mid_used;
      n.mid_report = 0;
      total += step(n, v, [] { return std::string("a harvest between collections begins"); });
    } else if (s.mid_step <= b_.vcpus) {
      const uint32_t w = s.mid_step - 1u;
      total += kvm_.harvest_ring(s, w, &State::mid_report, [&](State& n, const FaultNote& why) {
        ++n.mid_step;
        return step(n, v, [&] { return "  it harvests vCPU " + std::to_string(w) + "'s ring" + why.text(); });
      });
    } else {
      total += kvm_.reprotect(s, kvm_.collected(s), [&](State& n, const FaultNote& why) {
        n.mid_step = 0;
        n.pending |= n.mid_report;
        return step(n, v, [&] { return "  it resets the rings" + why.text(); });
      });
    }
  }

  // --- collections -------------------------------------------------------

  uint32_t harvest_steps() const {
    switch (shape_) {
      case Shape::Bitmap: return 1;
      case Shape::ClearLog: return 1 + b_.pages;  // KVM_GET_DIRTY_LOG, then a clear per page
      case Shape::Ring: return b_.vcpus + 1;      // each ring, then the reset
    }
    return 1;
  }

  void host_steps(const State& s, uint32_t v, Counts& total) {
    switch (s.phase) {
      case kIdle: {
        const bool last = s.collection == b_.collections;
        bool all_idle = s.mid_step == 0;
        for (uint32_t w = 0; w < b_.vcpus; ++w) all_idle = all_idle && s.cpu[w].step == 0 && !s.cpu[w].unlogged;
        for (int paused = 0; paused < 2; ++paused) {
          if (paused ? !all_idle : last) continue;
          State n = s;
          n.phase = kHarvest;
          n.step = 0;
          n.paused = static_cast<uint8_t>(paused);
          n.report = 0;
          for (uint32_t w = 0; w < b_.vcpus; ++w) n.before[w] = s.cpu[w].done;
          // A write is due at the first collection to begin after its
          // counter bump, once no fault on its page is still unlogged.
          for (uint32_t i = 0; i < n.writes; ++i)
            if (n.write[i].due == 0 && bumped(n, i) && !unlogged(n, n.write[i].page)) n.write[i].due = s.collection;
          total += step(n, v, [&] {
            return collection_name(s) + (paused ? " (vCPUs paused)" : " (vCPUs running)") + " reads the counters";
          });
        }
        return;
      }
      case kHarvest:
        if (s.mid_step != 0) return;  // the collector's lock: one harvest at a time
        harvest_step(s, v, total);
        return;
      case kAfterRead: {
        State n = s;
        for (uint32_t w = 0; w < b_.vcpus; ++w) n.after[w] = s.cpu[w].done;
        n.phase = kScan;
        n.step = 0;
        total += step(n, v, [&] { return collection_name(s) + " reads the counters again"; });
        return;
      }
      case kScan: {
        State n = s;
        const uint32_t p = s.step;
        n.scanned[p][0] = s.page[p].stamp;
        n.scanned[p][1] = s.page[p].writer;
        n.scanned[p][2] = s.page[p].seq;
        if (s.report >> p & 1)
          for (uint32_t i = 0; i < n.writes; ++i)
            if (n.write[i].page == p && n.write[i].landed) n.write[i].covered = 1;
        ++n.step;
        const auto label = [&] {
          return collection_name(s) + " scans page " + std::to_string(p) + ((s.report >> p & 1) ? " (reported)" : "");
        };
        if (n.step < b_.pages) {
          total += step(n, v, label);
          return;
        }
        path_.emplace_back(label);
        total += judge(n, v);
        path_.pop_back();
        return;
      }
    }
  }

  // Whether a vCPU's fault made page `p` writable and KVM has not logged it yet.
  bool unlogged(const State& s, uint32_t p) const {
    for (uint32_t w = 0; w < b_.vcpus; ++w)
      if (s.cpu[w].unlogged && s.cpu[w].page == p) return true;
    return false;
  }

  // Whether write i's counter bump happened: its vCPU has moved past it.
  static bool bumped(const State& s, uint32_t i) {
    for (const auto& cpu : s.cpu)
      if (cpu.step != 0 && cpu.write == i) return false;
    return s.write[i].landed;
  }

  void harvest_step(const State& s, uint32_t v, Counts& total) {
    const bool done_after = s.step + 1u == harvest_steps();
    auto advance = [&](State& n) {
      if (done_after) {
        n.phase = kAfterRead;
        n.step = 0;
      } else {
        ++n.step;
      }
    };
    switch (shape_) {
      case Shape::Bitmap: {
        const uint8_t marked = kvm_.marked(s);
        total += kvm_.reprotect(s, marked, [&](State& n, const FaultNote& why) {
          n.report |= marked;
          advance(n);
          return step(n, v, [&] { return collection_name(s) + " KVM_GET_DIRTY_LOG" + why.text(); });
        });
        return;
      }
      case Shape::ClearLog: {
        if (s.step == 0) {
          State n = s;
          n.snapshot = kvm_.marked(s);
          n.report |= n.snapshot;
          advance(n);
          total += step(n, v, [&] { return collection_name(s) + " KVM_GET_DIRTY_LOG (manual protect)"; });
          return;
        }
        const uint32_t p = s.step - 1u;
        total += kvm_.reprotect(s, static_cast<uint8_t>(s.snapshot & (1u << p)), [&](State& n, const FaultNote& why) {
          advance(n);
          return step(n, v, [&] {
            return collection_name(s) + " KVM_CLEAR_DIRTY_LOG page " + std::to_string(p) + why.text();
          });
        });
        return;
      }
      case Shape::Ring: {
        if (s.step < b_.vcpus) {
          const uint32_t w = s.step;
          total += kvm_.harvest_ring(s, w, &State::report, [&](State& n, const FaultNote& why) {
            advance(n);
            return step(n, v, [&] {
              return collection_name(s) + " harvests vCPU " + std::to_string(w) + "'s ring" + why.text();
            });
          });
          return;
        }
        total += kvm_.reprotect(s, kvm_.collected(s), [&](State& n, const FaultNote& why) {
          n.report |= n.pending;  // what harvests between collections took
          n.pending = 0;
          advance(n);
          return step(n, v, [&] { return collection_name(s) + " KVM_RESET_DIRTY_RINGS" + why.text(); });
        });
        return;
      }
    }
  }

  Counts judge(State s, uint32_t v) {
    const bool last = s.collection == b_.collections;
    report_.clear();
    for (uint32_t p = 0; p < b_.pages; ++p) {
      auto* words = reinterpret_cast<uint64_t*>(&memory_[p * 4096]);
      words[0] = s.scanned[p][0];
      words[1] = s.scanned[p][1] ? DS_WRITE_WORD(s.scanned[p][1], s.scanned[p][2]) : 0;
      if (s.report >> p & 1) report_.set(p);
    }
    Collection& c = collection_;
    c.number = s.collection;
    c.iteration = s.iteration;
    c.paused = s.paused;
    c.writes_before.assign(s.before, s.before + b_.vcpus);
    c.writes_after.assign(s.after, s.after + b_.vcpus);
    if (tamper_.before_judge) tamper_.before_judge(c, report_, last);
    // The verifier as it is after this collection: a copy of the one it
    // was before (into storage kept for it, so no allocation).
    Verdict verdict;
    const bool judged = !(last && tamper_.skip_last_judge);
    if (judged) {
      judging_ = verifiers_[v];
      verdict = judging_.judge(c, StampView{memory_.data(), b_.pages}, report_);
    }
    for (uint32_t i = 0; i < s.writes; ++i)
      if (s.write[i].due == s.collection && !s.write[i].covered) s.lost = 1;
    Counts out;
    if (!verdict.ok()) {
      const auto note = [&verdict] { return "  verdict: " + verdict.summary(); };
      path_.emplace_back(note);
      out.schedules = 1;
      out.caught = 1;
      out.faulted = s.fault_fired;
      out.lost = s.lost;
      if (!s.fault_fired) {
        out.false_alarms = 1;
        if (result_.false_alarm_example.empty()) result_.false_alarm_example = trace();
      }
      path_.pop_back();
      return out;
    }
    if (s.paused) ++s.iteration;
    ++s.collection;
    s.phase = kIdle;
    s.step = 0;
    forget_judged(s);
    if (s.collection <= b_.collections) return explore(s, judged ? intern(judging_) : v);
    out.schedules = 1;
    out.faulted = s.fault_fired;
    out.lost = s.lost;
    if (s.lost) {
      out.missed_losses = 1;
      if (result_.missed_loss_example.empty()) result_.missed_loss_example = trace();
    }
    return out;
  }

  // What only the collection just judged needed, and writes that are
  // covered (none can be lost any more), take one value each, so states
  // that differ only there meet.
  void forget_judged(State& s) const {
    std::memset(s.before, 0, sizeof s.before);
    std::memset(s.after, 0, sizeof s.after);
    std::memset(s.scanned, 0, sizeof s.scanned);
    s.report = s.snapshot = 0;
    for (uint32_t i = 0; i < s.writes; ++i)
      if (s.write[i].covered) s.write[i] = State::Write{0, 1, 0, 1};
  }

  std::string trace() const {
    std::string t;
    for (const auto& line : path_) t += line.text() + "\n";
    return t;
  }

  Shape shape_;
  Bounds b_;
  const Tamper& tamper_;
  KvmContract kvm_;
  // What a collection's scan read, its report and counters, as the
  // verifier reads them: one of each, refilled per judge.
  std::vector<uint8_t> memory_;
  DirtySet report_;
  Collection collection_;
  Result result_;
  // One verifier per distinct memory, numbered by its key; and the one judging now.
  std::vector<CollectionVerifier> verifiers_;
  std::unordered_map<std::string, uint32_t> verifier_numbers_;
  CollectionVerifier judging_{0, 0};
  ByteMemo<MemoKey, Counts> memo_;
  std::vector<Label> path_;
};

}  // namespace

Result check(Shape shape, Fault fault, const Bounds& bounds, const Tamper& tamper) {
  return Explorer(shape, fault, bounds, tamper).run();
}

}  // namespace dirtyscope::schedule
