#include "dirtyscope/dirty_ring.hpp"

#include <atomic>

namespace dirtyscope {

DirtyRing::DirtyRing(const Vcpu& vcpu, uint32_t entries)
    : vcpu_id_(vcpu.id()),
      entries_(entries),
      mapping_(vcpu.map_region("dirty ring", uint64_t{entries} * sizeof(kvm_dirty_gfn),
                               KVM_DIRTY_LOG_PAGE_OFFSET, PROT_READ | PROT_WRITE)) {}

uint32_t DirtyRing::harvest(const std::function<void(uint32_t, uint64_t)>& visit) {
  auto* gfns = mapping_.as<kvm_dirty_gfn>();
  uint32_t n = 0;
  for (;;) {
    kvm_dirty_gfn& e = gfns[fetch_index_ & (entries_ - 1)];
    std::atomic_ref<uint32_t> flags(e.flags);
    // Acquire: pairs with KVM's release when it published the entry.
    if (!(flags.load(std::memory_order_acquire) & KVM_DIRTY_GFN_F_DIRTY)) break;
    visit(e.slot, e.offset);
    // Release: our reads of slot/offset happen before KVM may reuse it.
    flags.store(KVM_DIRTY_GFN_F_RESET, std::memory_order_release);
    ++fetch_index_;
    // A ring holds `entries_` entries; consuming more in one pass means KVM
    // is producing as fast as we consume. Stop: the rest is next time's.
    if (++n == entries_) break;
  }
  return n;
}

}  // namespace dirtyscope
