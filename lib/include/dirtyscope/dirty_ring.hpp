// One vCPU's dirty ring (KVM_CAP_DIRTY_LOG_RING): the kvm_dirty_gfn array
// mapped from the vCPU fd at KVM_DIRTY_LOG_PAGE_OFFSET. Owns the mapping
// and the consumer index. KVM produces entries; we consume them.
//
// Ordering (Documentation/virt/kvm/api.rst, KVM_CAP_DIRTY_LOG_RING_ACQ_REL):
// KVM fills slot/offset, then publishes the entry by setting
// KVM_DIRTY_GFN_F_DIRTY with release semantics; we load flags with acquire
// before reading slot/offset, and hand the entry back by storing
// KVM_DIRTY_GFN_F_RESET with release, so KVM_RESET_DIRTY_RINGS (which
// acquires flags) sees our reads completed.
#pragma once

#include <linux/kvm.h>

#include <atomic>
#include <cstdint>

#include "dirtyscope/mapping.hpp"
#include "dirtyscope/vcpu.hpp"

namespace dirtyscope {

// The consumer's per-entry protocol on any kvm_dirty_gfn array of
// `entries` (a power of two) entries: the mapped ring, or plain memory in
// the micro-benchmarks, so both run this one implementation. Consumes every
// published entry from `fetch_index` on, in order, calling visit(slot,
// offset), and marks each collected; advances fetch_index. Returns how many.
// Always inlined: called out of line, the visitor's loop state lives in
// its closure in memory, which costs more per entry than the visit itself.
template <typename Visit>
[[gnu::always_inline]] inline uint32_t consume_dirty_gfns(kvm_dirty_gfn* gfns, uint32_t entries, uint64_t& fetch_index, Visit&& visit) {
  uint32_t n = 0;
  // The index lives in a local while we loop (a visitor's stores through
  // any uint64_t* would otherwise force it to memory at every entry) and
  // is written back however the loop ends, a visitor's throw included.
  struct WriteBack {
    uint64_t& to;
    uint64_t index;
    ~WriteBack() { to = index; }
  } fetch{fetch_index, fetch_index};
  for (;;) {
    kvm_dirty_gfn& e = gfns[fetch.index & (entries - 1)];
    std::atomic_ref<uint32_t> flags(e.flags);
    // Acquire: pairs with KVM's release when it published the entry.
    if (!(flags.load(std::memory_order_acquire) & KVM_DIRTY_GFN_F_DIRTY)) break;
    visit(e.slot, e.offset);
    // Release: our reads of slot/offset happen before KVM may reuse it.
    flags.store(KVM_DIRTY_GFN_F_RESET, std::memory_order_release);
    ++fetch.index;
    // A ring holds `entries` entries; consuming more in one pass means KVM
    // is producing as fast as we consume. Stop: the rest is next time's.
    if (++n == entries) break;
  }
  return n;
}

class DirtyRing {
 public:
  DirtyRing(const Vcpu& vcpu, uint32_t entries);
  // A ring over plain memory that KVM never sees (micro-benchmarks, unit
  // tests): `gfns` holds `entries` entries and must outlive the ring.
  DirtyRing(uint32_t vcpu_id, kvm_dirty_gfn* gfns, uint32_t entries)
      : vcpu_id_(vcpu_id), entries_(entries), gfns_(gfns) {}

  uint32_t vcpu_id() const { return vcpu_id_; }
  // How many entries were consumed from this ring so far (wraps at 2^64).
  uint64_t fetch_index() const { return fetch_index_; }
  // Consumes every published entry in order, calling visit(slot, offset)
  // for each, and marks it collected. Returns how many it consumed.
  // A template, not std::function: the visitor inlines into the loop
  // (an indirect call per entry was a third of RingCollector's harvest).
  template <typename Visit>
  [[gnu::always_inline]] uint32_t harvest(Visit&& visit) {
    return consume_dirty_gfns(gfns_, entries_, fetch_index_, visit);
  }

 private:
  uint32_t vcpu_id_;
  uint32_t entries_;
  Mapping mapping_;  // empty for a ring over plain memory
  kvm_dirty_gfn* gfns_;
  uint64_t fetch_index_ = 0;
};

}  // namespace dirtyscope
