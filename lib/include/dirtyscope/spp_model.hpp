// SPP on stock KVM (docs/spp.md): protected pages in KVM_MEM_READONLY
// memslots aliasing the region's memory, each guest write an MMIO exit
// that the vCPU's thread hands to handle_mmio(). A vector change splits or
// merges memslots and replaces the region's slot table (TestRegion), so
// collectors find the new slots; with dirty logging on, change vectors
// only with vCPUs out of KVM_RUN and after draining the log (see
// Collector::relayout): KVM drops a deleted slot's dirty bits.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "dirtyscope/spp_vectors.hpp"
#include "dirtyscope/test_region.hpp"
#include "dirtyscope/vcpu.hpp"
#include "dirtyscope/vm.hpp"

namespace dirtyscope {

// Deliberate faults in the model: spp_test's negative twins.
enum class SppInjection {
  None,
  WrongVectorBit,   // decide one protected page's writes with a bit of its vector flipped
  DropViolation,    // deny a write but do not record the violation
  SkipAllowedWrite, // allow a write but do not apply it to memory
  ForgetAppliedPage,  // leave one page the model wrote out of take_applied_gfns()
};

struct SppViolation {
  uint64_t gpa;
  uint32_t subpage;  // first denied sub-page of the write
  uint32_t len;
  uint64_t value;    // the bytes the guest tried to store, little-endian
  uint32_t vcpu;
  uint64_t rip;      // guest rip at the exit (KVM has completed the store instruction)
};

// What handle_mmio did with one exit.
enum class SppAccess {
  NotOurs,      // outside the test region: not an SPP exit
  Allowed,      // write to a protected page, allowed by its vector, applied
  Denied,       // write to a protected page, denied, dropped
  Unprotected,  // write while its page's memslot was being replaced, applied
  Read,         // read while its page's memslot was being replaced, served
};

struct SppDecision {
  SppAccess access = SppAccess::NotOurs;
  uint64_t gpa = 0;
  uint32_t len = 0;
  uint64_t value = 0;
};

struct SppCounts {
  uint64_t allowed = 0;
  uint64_t denied = 0;
  uint64_t unprotected = 0;  // writes emulated during a memslot change
  uint64_t reads = 0;        // reads emulated during a memslot change
  uint64_t memslot_changes = 0;  // KVM_SET_USER_MEMORY_REGION calls for layout changes
};

class SppModel {
 public:
  // Takes over the region's memslots (as created, with their flags). New
  // slot ids come from first_free_slot up; KVM_CAP_NR_MEMSLOTS bounds
  // them. Throws SkipError without KVM_CAP_READONLY_MEM.
  SppModel(Vm& vm, TestRegion& region, uint32_t first_free_slot,
           SppInjection injection = SppInjection::None);
  SppModel(const SppModel&) = delete;
  SppModel& operator=(const SppModel&) = delete;

  // The series' API, on guest frame numbers inside the region.
  // kSppFullAccess unprotects. Safe while vCPUs run.
  void set_vectors(uint64_t gfn, uint64_t npages, uint32_t vector);
  std::vector<uint32_t> get_vectors(uint64_t gfn, uint64_t npages) const;
  // Called with every set_vectors, under the model's lock and before the
  // memslots change, so a mirror (spp_test --stats registering the same
  // vectors with dirtyscope.ko or BPF) never lags a trapped write.
  using VectorObserver = std::function<void(uint64_t gfn, uint64_t npages, uint32_t vector)>;
  void observe_vectors(VectorObserver observer);

  // vCPU thread, on KVM_EXIT_MMIO. Throws std::runtime_error for a write
  // KVM should never report (one that crosses a page).
  SppDecision handle_mmio(uint32_t vcpu_index, Vcpu& vcpu);

  // Pages the model wrote on the guest's behalf since the last call:
  // KVM never logs those writes, so a dirty-log collector must add them,
  // as a VMM does for emulated writes to RAM.
  std::vector<uint64_t> take_applied_gfns();

  std::vector<SppViolation> violations() const;
  SppCounts counts() const;
  // Memslots the region uses now (its own plus the splits).
  size_t memslots_in_use() const;
  uint32_t memslot_limit() const { return memslot_limit_; }
  // Whether the injected fault has acted yet: a decision the flipped bit
  // changed, a violation dropped, an allowed write skipped, an applied
  // page left out. A run whose fault never acted proves nothing.
  bool injection_fired() const;

 private:
  struct Piece {
    uint32_t id;
    uint64_t gfn;
    uint64_t pages;
    bool readonly;
  };
  struct Base {  // one of the region's memslots as created
    uint64_t gfn;
    uint64_t pages;
    uint8_t* host;
    uint32_t flags;
    std::map<uint64_t, Piece> pieces;  // its current layout, by first gfn
  };

  // Re-maps the part of `base` that [gfn, gfn + npages) and its neighbours
  // cover: cost grows with the pieces touched, not with all of them, so
  // protecting thousands of scattered pages stays linear.
  void relayout_locked(Base& base, uint64_t gfn, uint64_t npages);
  void publish_layout_locked();  // the region's slot table follows the pieces
  uint32_t take_slot_id_locked();
  uint8_t* host_of(uint64_t gpa) const;
  uint32_t vector_locked(uint64_t gfn);

  Vm& vm_;
  TestRegion& region_;
  SppInjection injection_;
  uint32_t memslot_limit_;
  mutable std::mutex mutex_;
  SppVectors vectors_;
  std::vector<Base> bases_;
  std::vector<uint32_t> free_ids_;
  uint32_t next_id_;
  std::vector<SppViolation> violations_;
  std::set<uint64_t> applied_gfns_;
  SppCounts counts_;
  std::optional<uint64_t> injected_page_;
  VectorObserver observer_;
  bool injection_fired_ = false;
};

}  // namespace dirtyscope
