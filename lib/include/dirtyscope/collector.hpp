// A collector asks KVM which pages are dirty, one way per dirty_log_test
// mode. The runner drives it; the verifier judges what it returns.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dirtyscope/dirty_set.hpp"
#include "dirtyscope/test_region.hpp"
#include "dirtyscope/vcpu.hpp"
#include "dirtyscope/vm.hpp"

namespace dirtyscope {

// Steady-clock nanoseconds since `start`: how collection time is booked.
inline uint64_t ns_since(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
}

// Deliberate collector faults (the verifier's negative twins).
enum class Injection {
  None,
  DropDirty,  // lose one collected dirty page per iteration
  SkipClear,  // clear-log: never clear one page; dirty-log: reuse an old bitmap once
  SkipReset,  // ring: skip KVM_RESET_DIRTY_RINGS once
  WrongSlot,  // ring: corrupt one harvested entry's slot id
  HideRing,   // ring: never see vCPU 0's entries (KVM pushed them unpublished), so its ring wedges
};
std::optional<Injection> parse_injection(std::string_view name);
const char* injection_name(Injection i);

// When a collection happens: while vCPUs write, or with all of them paused
// (the last collection of an iteration, and the one before iteration 1).
enum class Phase { Running, Paused };

// Counters a collector keeps; ring-only fields stay 0 for bitmap modes.
struct CollectorCounters {
  uint64_t collections = 0;
  uint64_t ring_entries_harvested = 0;
  uint64_t ring_resets = 0;
  uint64_t ring_resets_interrupted = 0;  // KVM_RESET_DIRTY_RINGS calls that returned EINTR and were retried
  uint64_t ring_full_exits = 0;
  uint64_t ring_high_water = 0;  // most entries one ring held at a harvest
  uint64_t ring_overruns = 0;    // harvests that found a ring completely full
  uint64_t vcpu_blocked_count = 0;
  uint64_t vcpu_blocked_ns = 0;
  // Time inside the collecting ioctls (KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG,
  // KVM_RESET_DIRTY_RINGS): the kernel's share of collection, which
  // dirty_log_perf subtracts from wall time to get the userspace share.
  uint64_t collect_kernel_ns = 0;
};

// When to collect, pause and wait: the runner's questions to the mode.
// The default collects at any point and never holds an iteration back.
class CollectSchedule {
 public:
  virtual ~CollectSchedule() = default;
  // False when a Running collection is no snapshot of what KVM logged so
  // far (ring-wait lags on purpose; --soft-full leaves harvesting to the
  // soft-full vCPU): the runner then collects only with vCPUs paused.
  virtual bool collects_while_running() const { return true; }
  // Runner, while it waits for vCPUs to pause: a mode that lets vCPUs
  // block (ring-wait) must free them here or they never pause.
  virtual void while_pausing() {}
  // Runner, while it waits for the guest to finish an iteration's writes.
  virtual void while_waiting() {}
  // Empty when the iteration may end; else a one-line reason naming the
  // vCPUs it waits for (ring-wait: every vCPU must have blocked on its
  // full ring; --soft-full: every vCPU must have exited ring-full).
  virtual std::string waiting_for() { return {}; }
};

// A collector's deliberate fault: which, whether it fired, and dirtyscope
// migrate's skipped re-protect. The collector acts it out where it lives.
class FaultInjector {
 public:
  // `can`: the injections the owning collector knows how to do.
  FaultInjector(Injection injection, std::initializer_list<Injection> can) : injection_(injection), can_(can) {}
  Injection injection() const { return injection_; }
  bool is(Injection i) const { return injection_ == i; }
  // Whether the collector can misbehave as `i` asks (asking a mode for one
  // it cannot do is a usage error, never a pass); None always.
  bool supports(Injection i) const {
    return i == Injection::None || std::find(can_.begin(), can_.end(), i) != can_.end();
  }
  // Whether --inject did misbehave at least once. A run too short for its
  // fault (skip-clear and skip-reset act at the third paused collection,
  // wrong-slot at the 10th ring entry) proves nothing about the verifier:
  // the runner makes that mode a fail, never a pass.
  bool fired() const { return fired_.load(); }
  void fire() { fired_ = true; }
  // Where DropDirty acts: the runner offers each collection's pages until
  // one was dropped in the iteration. Returns the region page it dropped.
  std::optional<uint64_t> drop(DirtySet& collected);

  // dirtyscope migrate's skip-reset twin: the next collection that
  // harvests something does not re-protect it (no KVM_RESET_DIRTY_RINGS),
  // so writes after it go unlogged until a later reset. Only where that
  // loses writes: a dirty ring, the one collector that can skip-reset.
  // (KVM_GET_DIRTY_LOG re-protects as it harvests; a skipped
  // KVM_CLEAR_DIRTY_LOG leaves the bits set, so the pages come again.)
  void skip_next_reprotect() { skip_reprotect_.store(true); }
  // True once after skip_next_reprotect(): the collector takes the skip at
  // a harvest; migrate withdraws one no harvest took (then true: pending).
  bool take_skip_reprotect() { return skip_reprotect_.exchange(false); }

 private:
  Injection injection_;
  std::vector<Injection> can_;
  std::atomic<bool> fired_{false};
  std::atomic<bool> skip_reprotect_{false};
};

// One dirty-tracking mode: a few hooks, as the runner calls them.
class Collector {
 public:
  Collector(Injection injection, std::initializer_list<Injection> can) : faults_(injection, can) {}
  virtual ~Collector() = default;
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  virtual const char* mode() const = 0;
  // Before memslots and vCPUs exist: enable what the mode needs. A missing
  // capability throws SkipError naming it.
  virtual void prepare_vm(Vm& vm) = 0;
  uint32_t memslot_flags() const { return memslot_flags_; }
  // After memslots exist, before any vCPU runs.
  virtual void attach(Vm& vm, const TestRegion& region) {
    vm_ = &vm;
    region_ = &region;
  }
  virtual void attach_vcpu(Vcpu&) {}
  // The region's memslots were replaced (SppModel splits and merges them):
  // per-slot state follows the new layout. Only with every vCPU out of
  // KVM_RUN, right after a collection drained the old slots, since what
  // KVM logged for a deleted slot is gone with it.
  void relayout() { attach(*vm_, *region_); }
  // True when KVM reports every page dirty before the first write.
  bool initially_all_dirty() const { return initially_all_dirty_; }

  // Adds what KVM reports now to `into`. Throws CollectorError when KVM
  // handed back something impossible (bad ring entry, reset count).
  void collect(DirtySet& into, Phase phase) {
    ++counters_.collections;
    do_collect(into, phase);
  }
  // vCPU thread, on KVM_EXIT_DIRTY_RING_FULL: returns once the vCPU may
  // run again. Only ring collectors expect it.
  virtual void on_ring_full(Vcpu& vcpu);
  // The run is ending: release any vCPU thread blocked inside on_ring_full.
  virtual void shutdown() {}

  CollectSchedule& schedule() { return *schedule_; }
  FaultInjector& faults() { return faults_; }
  const FaultInjector& faults() const { return faults_; }
  const CollectorCounters& counters() const { return counters_; }
  // A broken kernel contract the collector saw (e.g. a ring filled past its
  // soft limit and reserve); returned once, then cleared. The runner fails
  // the iteration with it, alongside whatever the verifier found.
  virtual std::optional<std::string> take_fault() { return std::nullopt; }
  // Entries per vCPU ring; 0 for collectors without a ring.
  uint32_t ring_entries() const { return ring_entries_; }

 protected:
  virtual void do_collect(DirtySet& into, Phase phase) = 0;

  // Runs `ioctl` (a collecting ioctl wrapper) and books its wall time as
  // collect_kernel_ns. Two clock reads (vDSO, tens of ns) per ioctl.
  template <typename Ioctl>
  decltype(auto) in_kernel(Ioctl&& ioctl) {
    struct Book {
      uint64_t& total;
      std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
      ~Book() { total += ns_since(start); }
    } book{counters_.collect_kernel_ns};
    return ioctl();
  }
  // KVM_GET_DIRTY_LOG of test memslot `i` (region_->slots()[i]) into its
  // bitmap, timed by in_kernel: the bitmap modes' fetch and
  // ring-with-bitmap's backup bitmap. Each slot's bitmap is reused, sized
  // to the slot as it is now (SppModel replaces slots).
  uint64_t* get_dirty_log(size_t i);

  static CollectSchedule eager_;
  CollectSchedule* schedule_ = &eager_;  // a mode with its own points in time sets its own
  uint32_t memslot_flags_ = KVM_MEM_LOG_DIRTY_PAGES;
  bool initially_all_dirty_ = false;  // set by prepare_vm where KVM says so
  uint32_t ring_entries_ = 0;
  FaultInjector faults_;
  CollectorCounters counters_;
  Vm* vm_ = nullptr;
  const TestRegion* region_ = nullptr;
  std::vector<std::vector<uint64_t>> bitmaps_;  // by test memslot, for get_dirty_log
};

// KVM returned data that cannot be right (e.g. a ring entry naming a slot
// that does not exist): a test failure, not an environment problem.
class CollectorError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The dirty_log_test modes, in -M all order; names are a contract.
struct ModeInfo {
  const char* name;
  const char* description;
};
const std::vector<ModeInfo>& all_modes();
bool is_mode(std::string_view name);

// Whether `mode`'s collector can do `injection` at all; None always. Needs
// no KVM, so programs check it while parsing their options.
bool mode_accepts(std::string_view mode, Injection injection);
// The one-line usage error for an injection a mode cannot do: "--inject
// skip-reset cannot fire in dirty-log: only dirty-ring, dirty-ring-wait,
// ring-with-bitmap have it".
std::string inapplicable_injection(std::string_view mode, Injection injection);
// -M all with an injection: the modes that accept it, in -M all order. A
// UsageError (inapplicable_injection's wording) if `requested` names a mode
// that does not; `requested` is every mode when -M all was given, and then
// only the modes that cannot do it are left out.
std::vector<std::string> modes_for_injection(const std::vector<std::string>& requested, bool all,
                                             Injection injection);

// Ring entries a mode uses when -c is not given.
uint32_t default_ring_entries(std::string_view mode);
// Whether `mode` collects from dirty rings (and so issues KVM_RESET_DIRTY_RINGS).
bool is_ring_mode(std::string_view mode);

// ring_entries 0 means the mode's default. `soft_full` (dirty-ring only):
// harvest only on soft-full exits, and end no iteration before every vCPU
// has exited ring-full (the OwnRingOnFull policy).
std::unique_ptr<Collector> make_collector(std::string_view mode, Injection injection,
                                          uint32_t ring_entries, uint64_t seed, bool soft_full = false);

}  // namespace dirtyscope
