// The dirty ring interface: KVM_CAP_DIRTY_LOG_RING (ACQ_REL when offered),
// one ring per vCPU, harvested then handed back with KVM_RESET_DIRTY_RINGS.
//
// Three modes share it:
//  - dirty-ring: harvests at random points while vCPUs run; a vCPU whose
//    ring is soft-full (KVM_EXIT_DIRTY_RING_FULL) harvests and resets itself.
//    With RingHarvest::OnFullOnly (--soft-full) nothing is harvested while
//    vCPUs run except by the vCPU whose ring is soft-full (its own ring),
//    and an iteration ends only once every vCPU has exited ring-full: the
//    soft-full path runs every iteration however fast the guest writes.
//  - dirty-ring-wait: the collector lags on purpose (harvests only once
//    every vCPU is blocked on its full ring, and at interval ends); a vCPU
//    with a full ring blocks on a wait queue until the collector has
//    harvested and reset, as the ring series' wait queue did in the kernel.
//    Counts how often and how long vCPUs blocked.
//  - ring-with-bitmap: KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP; the ring plus a
//    backup bitmap (pages dirtied with no running vCPU), collected last.
//
// Every entry is checked: its slot must be a test memslot and its offset
// inside it. Every reset is checked: KVM must reset exactly the entries
// harvested since the previous reset.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "dirtyscope/bitmap_collector.hpp"
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

enum class RingMode { Plain, Wait, WithBitmap };
// Who harvests while vCPUs run (dirty-ring): the runner at random points
// and any vCPU on soft-full (Periodic), or only the soft-full vCPU itself.
enum class RingHarvest { Periodic, OnFullOnly };

// Where a ring collector's userspace time goes (wall time, cumulative):
// dirty_log_perf's collect breakdown. Everything else of the collection
// is the RESET ioctl (collect_kernel_ns) or bookkeeping around these.
struct RingTimes {
  uint64_t harvest_ns = 0;    // reading entries: protocol, checks, DirtySet insert
  uint64_t merge_ns = 0;      // pending pages into the runner's set, and clearing them
  uint64_t lock_wait_ns = 0;  // waiting for the collector's lock (another thread harvesting)
  uint64_t entries = 0;       // entries harvested
};

class RingCollector : public Collector {
 public:
  RingCollector(RingMode mode, Injection injection, uint32_t entries,
                RingHarvest harvest = RingHarvest::Periodic);
  const char* mode() const override;
  bool supports(Injection injection) const override;
  bool can_skip_reprotect() const override { return true; }
  // wrong-slot fires inside the recorder, at its 10th entry.
  bool injection_fired() const override {
    return Collector::injection_fired() || (injection_ == Injection::WrongSlot && recorder_.entries_seen() >= 10);
  }
  void prepare_vm(Vm& vm) override;
  void attach(Vm& vm, const TestRegion& region) override;
  void attach_vcpu(Vcpu& vcpu) override;
  void on_ring_full(Vcpu& vcpu) override;
  void while_pausing() override;
  void while_waiting() override;
  void shutdown() override;
  bool interval_may_end() override;
  std::string waiting_for() override;
  bool collects_while_running() const override;
  bool acq_rel() const { return acq_rel_; }
  uint32_t ring_entries() const override { return entries_; }
  std::optional<std::string> take_fault() override;
  RingTimes ring_times();

  // KVM keeps this many entries in reserve past the soft limit
  // (KVM_DIRTY_RING_RSVD_ENTRIES); a vCPU exits once the rest is used.
  static constexpr uint32_t kReservedEntries = 64;
  // Ring-full exits in a row with nothing to harvest before we call the
  // ring wedged (KVM will not let the vCPU run, and nothing frees it).
  static constexpr uint64_t kMaxEmptyRingFullExits = 10000;
  // ring-wait: harvests in a row that found nothing in the ring of a vCPU
  // blocked on ring-full before we call its ring wedged. One empty harvest
  // is legitimate (a harvest between the vCPU's exit and its block).
  static constexpr uint64_t kMaxEmptyHarvestsWhileBlocked = 3;

 protected:
  void do_collect(DirtySet& into, Phase phase) override;

 private:
  // Harvests every ring (or only `only`'s) and resets; caller holds
  // mutex_. Pages go to pending_.
  void harvest_and_reset_locked(bool final_collection, const DirtyRing* only = nullptr);
  uint32_t harvest_ring_locked(DirtyRing& ring);
  void reset_locked(bool final_collection, uint64_t harvested);
  // ring-wait: a vCPU blocked on ring-full whose ring keeps yielding
  // nothing is wedged; fails the run instead of waiting for the stall limit.
  void check_blocked_rings_locked(const std::vector<uint32_t>& harvested_by_vcpu);

  RingMode ring_mode_;
  uint32_t entries_;
  RingHarvest harvest_;
  bool acq_rel_ = false;
  std::vector<std::unique_ptr<DirtyRing>> rings_;  // by vCPU id

  std::mutex mutex_;
  std::condition_variable reset_done_;  // ring-wait: a harvest+reset happened
  uint64_t reset_generation_ = 0;
  bool shutting_down_ = false;
  RingTimes times_;
  RingEntryRecorder recorder_;            // checks entries; holds pages not yet handed to the runner
  uint64_t harvested_since_reset_ = 0;
  std::vector<uint64_t> vcpu_harvested_since_reset_;  // by vCPU id, for messages
  bool reset_skipped_ = false;            // skip-reset fired
  uint64_t paused_collections_ = 0;
  std::vector<bool> blocked_since_harvest_;  // ring-wait: by vCPU id
  std::vector<bool> blocked_now_;            // ring-wait: inside on_ring_full, by vCPU id
  std::vector<uint64_t> empty_harvests_while_blocked_;  // ring-wait: consecutive, by vCPU id
  std::vector<bool> full_exit_since_paused_;  // OnFullOnly: by vCPU id
  std::vector<uint64_t> empty_full_exits_;   // consecutive, by vCPU id
  std::optional<std::string> fault_;
  SlotBitmaps bitmaps_;                   // ring-with-bitmap's backup bitmap
};

}  // namespace dirtyscope
