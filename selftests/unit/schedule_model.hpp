// An exhaustive schedule checker for CollectionVerifier.
//
// A small reference model of KVM's dirty-tracking contract runs a bounded
// workload under every interleaving of guest and host steps, and feeds
// each schedule's collections to the project's own CollectionVerifier, as
// the runner does (lib/src/mode_runner.cpp):
//
//   guest write   = stamp store, writer-word store, counter bump (3 steps)
//   collection    = counters read, harvest (1..n steps), counters read,
//                   scan (a step per page), then judge
//   KVM, per page = write-protected or writable, plus a dirty mark (bitmap
//                   bit, or a ring entry pushed by one vCPU, then harvested
//                   until the reset re-protects it). A store to a protected
//                   page faults: the page is marked and made writable. With
//                   Bounds::late_mark it is made writable first and marked
//                   in a later step of the faulting vCPU, before its store
//                   lands (KVM's fast fault paths), so another vCPU may
//                   write it unfaulted in between.
//
// Report shapes: bitmap (KVM_GET_DIRTY_LOG: snapshot, clear and re-protect
// in one step), clear-log (KVM_GET_DIRTY_LOG, then KVM_CLEAR_DIRTY_LOG per
// one-page chunk), ring (each vCPU's ring harvested in turn, then
// KVM_RESET_DIRTY_RINGS). Ring runs may also harvest between collections
// (ring-full exits, ring-wait, the migrate reaper): those pages join the
// next collection's report, as RingCollector's pending set does.
//
// The ground truth the verdict is held to: a write is covered when a
// collection whose report holds its page scans the page after the write's
// stores landed; it is due at the first collection that begins after its
// counter bump. A write still uncovered when its due collection ends was
// lost. (With late marking, a write to a page whose fault is not logged
// yet is due only from the first collection to begin after it is logged.)
// Two properties, each over every schedule:
//   - no false alarms: with a correct model, every collection passes;
//   - completeness: with one injected fault (a missed dirty mark, a missed
//     re-protect, a dropped ring entry) at any point, every schedule that
//     lost a write fails some collection.
// States are memoised on (model state, everything the verifier was fed so
// far), which is exact: the verifier is a function of its inputs. The
// schedule counts are path counts through that graph.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "dirtyscope/verifier.hpp"

namespace dirtyscope::schedule {

enum class Shape { Bitmap, ClearLog, Ring };
enum class Fault { None, MissedMark, MissedReprotect, DroppedRingEntry };
const char* shape_name(Shape s);
const char* fault_name(Fault f);

struct Bounds {
  uint32_t vcpus = 2;
  uint32_t pages = 3;
  uint32_t collections = 3;      // after the one before iteration 1; the last is paused
  uint32_t writes_per_vcpu = 1;  // over the whole run
  uint32_t mid_harvests = 0;     // ring only: harvests between collections
  // KVM's fast fault paths (x86 fast_page_fault, arm64 user_mem_abort) make
  // a write-protected page writable, then mark it: a step apart, in which
  // other vCPUs may write the page without a fault. False: one step.
  bool late_mark = false;
};

// What the checker feeds the verifier can be bent, to show that the
// checker catches a verifier that is wrong (its own negative twins).
struct Tamper {
  // Called before each judge with the collection as the runner saw it.
  std::function<void(Collection&, DirtySet& report, bool last)> before_judge;
  // True: the last collection is not judged (a verifier blind to it).
  bool skip_last_judge = false;
};

// Schedules counted by how they ended.
struct Counts {
  uint64_t schedules = 0;      // complete schedules (a failed collection ends one)
  uint64_t faulted = 0;        // schedules in which the fault fired
  uint64_t lost = 0;           // ... and lost a write
  uint64_t caught = 0;         // schedules the verifier failed
  uint64_t false_alarms = 0;   // failed although nothing was lost and no fault fired
  uint64_t missed_losses = 0;  // lost a write, yet every collection passed
  Counts& operator+=(const Counts& o);
};

struct Result : Counts {
  uint64_t states = 0;                // distinct states explored
  std::string false_alarm_example;    // the first such schedule, step by step
  std::string missed_loss_example;
  std::string summary() const;
};

Result check(Shape shape, Fault fault, const Bounds& bounds, const Tamper& tamper = {});

}  // namespace dirtyscope::schedule
