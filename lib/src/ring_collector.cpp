#include "dirtyscope/ring_collector.hpp"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <utility>

#include "dirtyscope/error.hpp"
#include "dirtyscope/kvm_abi.hpp"
#include "dirtyscope/ring_limits.hpp"
#include "dirtyscope/text_list.hpp"

namespace dirtyscope {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

RingCollector::RingCollector(std::unique_ptr<RingPolicy> policy, Injection injection, uint32_t entries)
    : Collector(injection, {Injection::DropDirty, Injection::SkipReset, Injection::WrongSlot, Injection::HideRing}),
      policy_(std::move(policy)) {
  ring_entries_ = entries;
  policy_->bind(*this);
  schedule_ = policy_.get();
}

void RingCollector::prepare_vm(Vm& vm) {
  const auto limits = ring_limits_of(vm);
  if (!limits) throw SkipError("KVM_CAP_DIRTY_LOG_RING not supported");
  check_ring_entries(ring_entries_, *limits);
  acq_rel_ = limits->acq_rel;
  vm.enable_cap(acq_rel_ ? KVM_CAP_DIRTY_LOG_RING_ACQ_REL : KVM_CAP_DIRTY_LOG_RING,
                uint64_t{ring_entries_} * sizeof(kvm_dirty_gfn));
}

void RingCollector::attach(Vm& vm, const TestRegion& region) {
  Collector::attach(vm, region);
  recorder_ = RingEntryRecorder(region, faults_.injection(), recorder_.entries_seen());
}

void RingCollector::attach_vcpu(Vcpu& vcpu) {
  if (rings_.size() <= vcpu.id()) {
    rings_.resize(vcpu.id() + 1);
    vcpu_harvested_since_reset_.resize(vcpu.id() + 1, 0);
  }
  policy_->add_vcpu(vcpu.id());
  rings_[vcpu.id()] = std::make_unique<DirtyRing>(vcpu, ring_entries_);
}

RingEntryRecorder::RingEntryRecorder(const TestRegion& region, Injection injection, uint64_t entries_seen)
    : region_(&region), injection_(injection), pending_(region.pages()), entries_seen_(entries_seen) {}

namespace {
// What the per-entry check throws from inside the ring walk: just the
// entry. Its number is known only once the walk has unwound and booked
// how far it got, so harvest() turns it into the CollectorError.
struct BadEntry {
  uint32_t slot;
  uint64_t offset;
};
}  // namespace

uint32_t RingEntryRecorder::harvest(DirtyRing& ring) {
  const uint64_t fetch_before = ring.fetch_index();
  try {
    // Two instantiations so the common one counts nothing per entry: an
    // entry's number is only needed for an error (from the fetch index)
    // and for the wrong-slot injection (which keeps its own count).
    const uint32_t n = injection_ == Injection::WrongSlot ? record<true>(ring) : record<false>(ring);
    entries_seen_ += n;
    return n;
  } catch (const BadEntry& bad) {
    // The walk stopped before consuming the bad entry; the count includes
    // it (wrong-slot's injection_fired reads it).
    entries_seen_ += ring.fetch_index() - fetch_before + 1;
    bad_entry(ring.vcpu_id(), entries_seen_, bad.slot, bad.offset);
  }
}

template <bool kCorruptTenthEntry>
uint32_t RingEntryRecorder::record(DirtyRing& ring) {
  // Per entry, inline: the slot is compared with the previous entry's (a
  // pass writes pages in order, so consecutive entries name the same slot)
  // and only another slot is looked up, among the region's memslots as
  // they are now (SppModel splits them), so the cache lives for one
  // harvest. The loop state is local: in members, every store into the
  // DirtySet (uint64_t, like the counters) would force them back to memory.
  uint64_t seen = entries_seen_;  // only the injection reads it
  // Nothing cached yet: no slot id has address space 0xffff, and an entry
  // that names this one meets 0 pages, so it fails the offset check.
  uint32_t cached_slot = ~0u;
  SlotSpan span{0, 0};
  uint64_t* words = pending_.words();
  const std::vector<RegionSlot>& slots = region_->slots();
  return ring.harvest([&](uint32_t slot, uint64_t offset) {
    // WrongSlot: the 10th entry read has its slot id corrupted as a buggy
    // collector might misread it.
    if constexpr (kCorruptTenthEntry)
      if (++seen == 10) slot ^= 0x7f00;
    if (slot != cached_slot) [[unlikely]] {
      // Inline, no call: a call here would make the compiler keep the
      // loop's state out of caller-saved registers for every entry.
      const RegionSlot* found = nullptr;
      if ((slot >> 16) == 0)
        for (const RegionSlot& s : slots)
          if (s.slot == slot) found = &s;
      if (!found) throw BadEntry{slot, offset};
      span = SlotSpan{found->first_page, found->pages};
      cached_slot = slot;
    }
    if (offset >= span.pages) [[unlikely]]
      throw BadEntry{slot, offset};
    const uint64_t page = span.first_page + offset;
    words[page / 64] |= 1ULL << (page % 64);
  });
}

void RingEntryRecorder::bad_entry(uint32_t vcpu, uint64_t seen, uint32_t slot, uint64_t offset) {
  char buf[200];
  std::snprintf(buf, sizeof(buf),
                "vCPU %u ring entry %" PRIu64 ": slot 0x%x (address space %u) offset 0x%" PRIx64
                " is not a page of any test memslot",
                vcpu, seen, slot & 0xffff, slot >> 16, offset);
  throw CollectorError(buf);
}

uint32_t RingCollector::harvest_ring_locked(DirtyRing& ring) {
  // HideRing models a kernel that fills a ring without publishing its
  // entries: KVM sees it full, we see it empty, and nothing we reset frees
  // it. The wedge checks must say so instead of waiting for the stall limit.
  if (faults_.is(Injection::HideRing) && ring.vcpu_id() == 0) {
    faults_.fire();
    return 0;
  }
  const auto start = Clock::now();
  // wrong-slot fires inside the recorder, at its 10th entry; also when the
  // corrupted entry makes the harvest throw.
  struct NoteWrongSlot {
    RingCollector& c;
    ~NoteWrongSlot() {
      if (c.faults_.is(Injection::WrongSlot) && c.recorder_.entries_seen() >= 10) c.faults_.fire();
    }
  } note{*this};
  const uint32_t n = recorder_.harvest(ring);
  times_.harvest_ns += ns_since(start);
  times_.entries += n;
  vcpu_harvested_since_reset_[ring.vcpu_id()] += n;
  counters_.ring_high_water = std::max<uint64_t>(counters_.ring_high_water, n);
  if (n == ring_entries_) {
    // KVM should have stopped the vCPU at the soft limit, with
    // kReservedEntries to spare; a full ring means it did not, and any
    // further push overwrote an entry we had not harvested yet.
    ++counters_.ring_overruns;
    if (!fault_)
      fault_ = "vCPU " + std::to_string(ring.vcpu_id()) + "'s dirty ring was completely full at a harvest (" +
               std::to_string(n) + " of " + std::to_string(ring_entries_) + " entries; the soft-full exit was due at " +
               std::to_string(ring_entries_ - kReservedEntries) +
               "): KVM ran the vCPU past its soft limit and reserve, so later pushes overwrote unharvested entries";
  }
  return n;
}

void RingCollector::harvest_and_reset_locked(bool final_collection, const DirtyRing* only) {
  uint64_t harvested = 0;
  std::vector<uint32_t> by_vcpu(rings_.size(), 0);
  for (auto& ring : rings_) {
    if (!ring || (only && ring.get() != only)) continue;
    by_vcpu[ring->vcpu_id()] = harvest_ring_locked(*ring);
    harvested += by_vcpu[ring->vcpu_id()];
  }
  counters_.ring_entries_harvested += harvested;
  harvested_since_reset_ += harvested;
  policy_->harvested(by_vcpu);
  reset_locked(final_collection, harvested);
}

std::string RingCollector::after_overrun() const {
  return counters_.ring_overruns ? " after an overrun (" + fault_.value_or("reported earlier") + ")" : std::string();
}

void RingCollector::reset_locked(bool final_collection, uint64_t harvested) {
  // SkipReset: the first final collection after iteration 1 that harvested
  // something "forgets" the ioctl but books the entries as reset.
  if (faults_.is(Injection::SkipReset) && final_collection && !reset_skipped_ && paused_collections_ >= 3 &&
      harvested > 0) {
    reset_skipped_ = true;
    faults_.fire();
    harvested_since_reset_ = 0;
    std::fill(vcpu_harvested_since_reset_.begin(), vcpu_harvested_since_reset_.end(), 0);
    return;
  }
  // skip_next_reprotect: the entries stay harvested but not reset; the
  // next reset covers them too, so they stay in harvested_since_reset_.
  if (harvested > 0 && faults_.take_skip_reprotect()) return;
  const RingReset reset = in_kernel([&] { return vm_->reset_dirty_rings(); });
  ++counters_.ring_resets;
  counters_.ring_resets_interrupted += reset.interrupted;
  // Exact unless a signal cut a call short: the interrupted call's count
  // is lost, so then only "no more than harvested" can be checked (missed
  // pages are still the verifier's to find).
  const bool exact = reset.interrupted == 0;
  if (exact ? reset.entries != harvested_since_reset_ : reset.entries > harvested_since_reset_)
    throw CollectorError(reset_mismatch(reset));
  harvested_since_reset_ = 0;
  std::fill(vcpu_harvested_since_reset_.begin(), vcpu_harvested_since_reset_.end(), 0);
  policy_->reset_done();
}

std::string RingCollector::reset_mismatch(const RingReset& reset) const {
  std::string per_vcpu;
  for (size_t i = 0; i < vcpu_harvested_since_reset_.size(); ++i)
    append_item(per_vcpu, ", ", "vCPU " + std::to_string(i) + ": " + std::to_string(vcpu_harvested_since_reset_[i]));
  // Short means entries we handed back stay harvested but not reset: their
  // pages stay writable without a ring entry, so later writes go unlogged.
  // A kernel that stops on a pending signal yet reports success does this.
  const std::string shortfall =
      reset.entries < harvested_since_reset_
          ? " (short: KVM reported success but left " + std::to_string(harvested_since_reset_ - reset.entries) +
                " harvested entries unreset, so their pages can be rewritten unlogged)"
          : std::string();
  return "KVM_RESET_DIRTY_RINGS reset " + std::to_string(reset.entries) + " entries" +
         (reset.interrupted ? " after " + std::to_string(reset.interrupted) + " EINTR retries" : std::string()) +
         ", but " + std::to_string(harvested_since_reset_) + " were harvested since the previous reset (" + per_vcpu +
         ")" + shortfall + (fault_ ? "; earlier: " + *fault_ : std::string());
}

void RingCollector::do_collect(DirtySet& into, Phase phase) {
  const auto before_lock = Clock::now();
  std::lock_guard lock(mutex_);
  times_.lock_wait_ns += ns_since(before_lock);
  const bool final_collection = phase == Phase::Paused;
  if (final_collection) ++paused_collections_;
  // A policy that does not collect while vCPUs run harvests at the pause.
  if (policy_->collects_while_running() || final_collection) harvest_and_reset_locked(final_collection);
  if (final_collection) policy_->paused();
  const auto merge_start = Clock::now();
  DirtySet& pending = recorder_.pending();
  into.merge_bitmap(0, pending.words(), pending.pages());
  pending.clear();
  times_.merge_ns += ns_since(merge_start);
}

std::optional<std::string> RingCollector::take_fault() {
  std::lock_guard lock(mutex_);
  return std::exchange(fault_, std::nullopt);
}

RingTimes RingCollector::ring_times() {
  std::lock_guard lock(mutex_);
  return times_;
}

void RingCollector::on_ring_full(Vcpu& vcpu) {
  const auto before_lock = Clock::now();
  std::unique_lock lock(mutex_);
  times_.lock_wait_ns += ns_since(before_lock);
  ++counters_.ring_full_exits;
  policy_->on_full(lock, vcpu);
}

std::string RingPolicy::not_done(const std::vector<bool>& done, const char* what) const {
  const std::string who = indices_where(ring_->rings_.size(), [&](size_t i) { return ring_->rings_[i] && !done[i]; });
  if (who.empty()) return {};
  const uint32_t entries = ring_->ring_entries_;
  return "vCPU(s) " + who + what + std::to_string(entries) + "-entry dirty ring (highest fill seen " +
         std::to_string(ring_->counters_.ring_high_water) + ", soft limit " +
         std::to_string(entries - RingCollector::kReservedEntries) + ")";
}

void HarvestOnFull::on_full(std::unique_lock<std::mutex>&, Vcpu& vcpu) { harvest_for(vcpu, false); }

void HarvestOnFull::harvest_for(Vcpu& vcpu, bool own_only) {
  const uint64_t before = ring_->counters_.ring_entries_harvested;
  ring_->harvest_and_reset_locked(false, own_only ? ring_->rings_[vcpu.id()].get() : nullptr);
  uint64_t& empty = empty_full_exits_[vcpu.id()];
  empty = ring_->counters_.ring_entries_harvested == before ? empty + 1 : 0;
  if (empty >= RingCollector::kMaxEmptyRingFullExits)
    throw CollectorError("KVM_EXIT_DIRTY_RING_FULL " + std::to_string(empty) +
                         " times in a row with nothing left to harvest: KVM_RESET_DIRTY_RINGS does not free "
                         "the ring, it is wedged (its indices are inconsistent)" +
                         ring_->after_overrun());
}

void OwnRingOnFull::add_vcpu(uint32_t id) {
  HarvestOnFull::add_vcpu(id);
  full_exit_since_paused_.resize(id + 1, false);
}

void OwnRingOnFull::on_full(std::unique_lock<std::mutex>&, Vcpu& vcpu) {
  harvest_for(vcpu, true);
  full_exit_since_paused_[vcpu.id()] = true;
}

std::string OwnRingOnFull::waiting_for() {
  std::lock_guard lock(ring_->mutex_);
  return not_done(full_exit_since_paused_, " never exited KVM_EXIT_DIRTY_RING_FULL on a ");
}

void WaitOnFull::add_vcpu(uint32_t id) {
  blocked_since_harvest_.resize(id + 1, false);
  blocked_now_.resize(id + 1, false);
  empty_harvests_while_blocked_.resize(id + 1, 0);
}

void WaitOnFull::on_full(std::unique_lock<std::mutex>& lock, Vcpu& vcpu) {
  // Block until the (lagging) collector has harvested and reset.
  CollectorCounters& counters = ring_->counters_;
  ++counters.vcpu_blocked_count;
  blocked_since_harvest_[vcpu.id()] = true;
  blocked_now_[vcpu.id()] = true;
  const auto start = Clock::now();
  const uint64_t generation = reset_generation_;
  reset_done_.wait(lock, [&] { return shutting_down_ || reset_generation_ != generation; });
  counters.vcpu_blocked_ns += ns_since(start);
}

void WaitOnFull::harvested(const std::vector<uint32_t>& by_vcpu) {
  // A vCPU blocked on ring-full whose ring keeps yielding nothing is
  // wedged: fail the run instead of waiting for the stall limit.
  for (size_t i = 0; i < ring_->rings_.size(); ++i) {
    if (!ring_->rings_[i]) continue;
    uint64_t& empty = empty_harvests_while_blocked_[i];
    empty = blocked_now_[i] && by_vcpu[i] == 0 ? empty + 1 : 0;
    if (empty >= kMaxEmptyHarvestsWhileBlocked)
      throw CollectorError("vCPU " + std::to_string(i) + " blocked on KVM_EXIT_DIRTY_RING_FULL again and again (" +
                           std::to_string(empty) +
                           " harvests in a row found nothing in its ring): KVM_RESET_DIRTY_RINGS does not free the "
                           "ring, it is wedged" +
                           ring_->after_overrun());
  }
}

void WaitOnFull::reset_done() {
  ++reset_generation_;
  // Every blocked vCPU is released now; one that blocks again is counted
  // afresh by harvested().
  std::fill(blocked_now_.begin(), blocked_now_.end(), false);
  reset_done_.notify_all();
}

void WaitOnFull::while_pausing() {
  // Interval end: free vCPUs blocked on a full ring so they can see the
  // pause request.
  std::lock_guard lock(ring_->mutex_);
  ring_->harvest_and_reset_locked(false);
}

void WaitOnFull::while_waiting() {
  // The lagging collector frees the rings only once every vCPU is blocked
  // on its full ring, so an iteration that must write more pages than a
  // ring holds still ends, and every vCPU really waits.
  std::lock_guard lock(ring_->mutex_);
  for (size_t i = 0; i < ring_->rings_.size(); ++i)
    if (ring_->rings_[i] && !blocked_now_[i]) return;
  ring_->harvest_and_reset_locked(false);
}

std::string WaitOnFull::waiting_for() {
  std::lock_guard lock(ring_->mutex_);
  return not_done(blocked_since_harvest_, " never blocked on a full ");
}

void WaitOnFull::shutdown() {
  std::lock_guard lock(ring_->mutex_);
  shutting_down_ = true;
  reset_done_.notify_all();
}

void RingWithBitmapCollector::prepare_vm(Vm& vm) {
  if (ring_limits_of(vm) && vm.check_extension(KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP) <= 0)
    throw SkipError("KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP not supported");
  RingCollector::prepare_vm(vm);
  vm.enable_cap(KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP, 0);
}

void RingWithBitmapCollector::do_collect(DirtySet& into, Phase phase) {
  RingCollector::do_collect(into, phase);
  if (phase != Phase::Paused) return;
  // The backup bitmap holds pages dirtied with no running vCPU; per
  // api.rst it is collected after the last ring harvest, vCPUs stopped.
  const auto& slots = region_->slots();
  for (size_t i = 0; i < slots.size(); ++i) into.merge_bitmap(slots[i].first_page, get_dirty_log(i), slots[i].pages);
}

}  // namespace dirtyscope
