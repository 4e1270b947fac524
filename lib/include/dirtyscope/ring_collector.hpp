// The dirty ring interface: KVM_CAP_DIRTY_LOG_RING (ACQ_REL when offered),
// one ring per vCPU, harvested then handed back with KVM_RESET_DIRTY_RINGS.
//
// Three modes share it, each a RingPolicy (who harvests when) on one
// RingCollector: dirty-ring (HarvestOnFull, or OwnRingOnFull with
// --soft-full), dirty-ring-wait (WaitOnFull), ring-with-bitmap (a
// RingCollector that also reads the backup bitmap).
//
// Every entry is checked: its slot must be a test memslot and its offset
// inside it. Every reset is checked: KVM must reset exactly the entries
// harvested since the previous reset.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "dirtyscope/collector.hpp"
#include "dirtyscope/dirty_ring.hpp"

namespace dirtyscope {

// The per-entry work of a ring harvest, apart from the lock and the
// bookkeeping around it, so the micro-benchmark runs this very code on a
// ring in plain memory. Every entry must name a test memslot of address
// space 0 and an offset inside that slot, else CollectorError names the
// vCPU, the entry and what it held; its page goes into pending().
class RingEntryRecorder {
 public:
  RingEntryRecorder() = default;
  // entries_seen: carried over when the collector re-attaches (relayout).
  RingEntryRecorder(const TestRegion& region, Injection injection, uint64_t entries_seen = 0);
  // Consumes every published entry of `ring` (DirtyRing::harvest: the
  // acquire/release protocol), checking and recording each. Returns how many.
  uint32_t harvest(DirtyRing& ring);
  DirtySet& pending() { return pending_; }
  uint64_t entries_seen() const { return entries_seen_; }

 private:
  struct SlotSpan {
    uint64_t first_page, pages;
  };
  // The walk over the ring's entries; the injection's instantiation also
  // counts them, to corrupt the tenth.
  template <bool kCorruptTenthEntry>
  uint32_t record(DirtyRing& ring);
  // Throws CollectorError naming entry number `seen`.
  [[noreturn]] static void bad_entry(uint32_t vcpu, uint64_t seen, uint32_t slot, uint64_t offset);

  const TestRegion* region_ = nullptr;
  Injection injection_ = Injection::None;
  DirtySet pending_;         // harvested, not yet handed to the runner
  uint64_t entries_seen_ = 0;  // for wrong-slot: which entry to corrupt
};

// Where a ring collector's userspace time goes (wall time, cumulative):
// dirty_log_perf's collect breakdown. Everything else of the collection
// is the RESET ioctl (collect_kernel_ns) or bookkeeping around these.
struct RingTimes {
  uint64_t harvest_ns = 0;    // reading entries: protocol, checks, DirtySet insert
  uint64_t merge_ns = 0;      // pending pages into the runner's set, and clearing them
  uint64_t lock_wait_ns = 0;  // waiting for the collector's lock (another thread harvesting)
  uint64_t entries = 0;       // entries harvested
};

class RingCollector;

// How vCPUs and the runner share a ring's harvests, one per ring mode; as
// a CollectSchedule it answers the runner's when-questions. Its hooks run
// with the collector's lock held unless they say otherwise.
class RingPolicy : public CollectSchedule {
 public:
  virtual const char* mode() const = 0;
  virtual void add_vcpu(uint32_t id) = 0;
  // vCPU thread, on KVM_EXIT_DIRTY_RING_FULL: returns once it may run on.
  virtual void on_full(std::unique_lock<std::mutex>& lock, Vcpu& vcpu) = 0;
  // After every ring was harvested, before the reset: entries by vCPU id.
  virtual void harvested(const std::vector<uint32_t>&) {}
  // KVM_RESET_DIRTY_RINGS handed the harvested entries back.
  virtual void reset_done() {}
  // A Paused collection: the iteration's last.
  virtual void paused() {}
  // Lock not held: the run is ending.
  virtual void shutdown() {}
  void bind(RingCollector& ring) { ring_ = &ring; }

 protected:
  // One-line reason for waiting_for(): the vCPUs not `done`, or empty.
  std::string not_done(const std::vector<bool>& done, const char* what) const;
  RingCollector* ring_ = nullptr;
};

// dirty-ring: the runner harvests at random points while vCPUs run, and a
// vCPU whose ring is soft-full harvests and resets every ring itself.
class HarvestOnFull : public RingPolicy {
 public:
  const char* mode() const override { return "dirty-ring"; }
  void add_vcpu(uint32_t id) override { empty_full_exits_.resize(id + 1, 0); }
  void on_full(std::unique_lock<std::mutex>& lock, Vcpu& vcpu) override;

 protected:
  // Harvests (all rings, or only `vcpu`'s) and resets; throws when exit
  // after exit found nothing, as nothing then frees the ring.
  void harvest_for(Vcpu& vcpu, bool own_only);

 private:
  std::vector<uint64_t> empty_full_exits_;  // consecutive, by vCPU id
};

// dirty-ring --soft-full: nothing is harvested while vCPUs run but by the
// vCPU whose ring is soft-full (its own ring only, so no vCPU empties
// another's before it reaches its own soft limit), and an iteration ends
// only once every vCPU has exited ring-full.
class OwnRingOnFull : public HarvestOnFull {
 public:
  bool collects_while_running() const override { return false; }
  std::string waiting_for() override;
  void add_vcpu(uint32_t id) override;
  void on_full(std::unique_lock<std::mutex>& lock, Vcpu& vcpu) override;
  void paused() override { std::fill(full_exit_since_paused_.begin(), full_exit_since_paused_.end(), false); }

 private:
  std::vector<bool> full_exit_since_paused_;  // by vCPU id
};

// dirty-ring-wait: the collector lags on purpose (harvests only once every
// vCPU is blocked on its full ring, and at interval ends); a vCPU with a
// full ring blocks until the collector has harvested and reset, as the
// ring series' wait queue did in the kernel.
class WaitOnFull : public RingPolicy {
 public:
  // Harvests in a row that found nothing in the ring of a vCPU blocked on
  // ring-full before we call its ring wedged. One empty harvest is
  // legitimate (a harvest between the vCPU's exit and its block).
  static constexpr uint64_t kMaxEmptyHarvestsWhileBlocked = 3;
  const char* mode() const override { return "dirty-ring-wait"; }
  bool collects_while_running() const override { return false; }
  void while_pausing() override;
  void while_waiting() override;
  std::string waiting_for() override;
  void add_vcpu(uint32_t id) override;
  void on_full(std::unique_lock<std::mutex>& lock, Vcpu& vcpu) override;
  void harvested(const std::vector<uint32_t>& by_vcpu) override;
  void reset_done() override;
  void paused() override { std::fill(blocked_since_harvest_.begin(), blocked_since_harvest_.end(), false); }
  void shutdown() override;

 private:
  std::condition_variable reset_done_;  // a harvest+reset happened
  uint64_t reset_generation_ = 0;
  bool shutting_down_ = false;
  std::vector<bool> blocked_since_harvest_;             // by vCPU id
  std::vector<bool> blocked_now_;                       // inside on_full, by vCPU id
  std::vector<uint64_t> empty_harvests_while_blocked_;  // consecutive, by vCPU id
};

class RingCollector : public Collector {
 public:
  RingCollector(std::unique_ptr<RingPolicy> policy, Injection injection, uint32_t entries);
  const char* mode() const override { return policy_->mode(); }
  void prepare_vm(Vm& vm) override;
  void attach(Vm& vm, const TestRegion& region) override;
  void attach_vcpu(Vcpu& vcpu) override;
  void on_ring_full(Vcpu& vcpu) override;
  void shutdown() override { policy_->shutdown(); }
  bool acq_rel() const { return acq_rel_; }
  std::optional<std::string> take_fault() override;
  RingTimes ring_times();

  // KVM keeps this many entries in reserve past the soft limit
  // (KVM_DIRTY_RING_RSVD_ENTRIES); a vCPU exits once the rest is used.
  static constexpr uint32_t kReservedEntries = 64;
  // Ring-full exits in a row with nothing to harvest before we call the
  // ring wedged (KVM will not let the vCPU run, and nothing frees it).
  static constexpr uint64_t kMaxEmptyRingFullExits = 10000;

 protected:
  void do_collect(DirtySet& into, Phase phase) override;

 private:
  friend class RingPolicy;
  friend class HarvestOnFull;
  friend class OwnRingOnFull;
  friend class WaitOnFull;
  // Harvests every ring (or only `only`'s) and resets; caller holds
  // mutex_. Pages go to the recorder's pending set.
  void harvest_and_reset_locked(bool final_collection, const DirtyRing* only = nullptr);
  uint32_t harvest_ring_locked(DirtyRing& ring);
  void reset_locked(bool final_collection, uint64_t harvested);
  // The CollectorError text for a reset count that does not match the harvest.
  std::string reset_mismatch(const RingReset& reset) const;
  // " after an overrun (...)" when one was seen, for wedge messages.
  std::string after_overrun() const;

  std::unique_ptr<RingPolicy> policy_;
  bool acq_rel_ = false;
  std::vector<std::unique_ptr<DirtyRing>> rings_;  // by vCPU id

  std::mutex mutex_;
  RingTimes times_;
  RingEntryRecorder recorder_;            // checks entries; holds pages not yet handed to the runner
  uint64_t harvested_since_reset_ = 0;
  std::vector<uint64_t> vcpu_harvested_since_reset_;  // by vCPU id, for messages
  bool reset_skipped_ = false;            // skip-reset fired
  uint64_t paused_collections_ = 0;
  std::optional<std::string> fault_;
};

// ring-with-bitmap: KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP; the ring plus a
// backup bitmap (pages dirtied with no running vCPU), collected last.
class RingWithBitmapCollector : public RingCollector {
 public:
  RingWithBitmapCollector(Injection injection, uint32_t entries)
      : RingCollector(std::make_unique<HarvestOnFull>(), injection, entries) {}
  const char* mode() const override { return "ring-with-bitmap"; }
  void prepare_vm(Vm& vm) override;

 protected:
  void do_collect(DirtySet& into, Phase phase) override;
};

}  // namespace dirtyscope
