#include "dirtyscope/dirty_ring.hpp"

#include "dirtyscope/kvm_dirty_abi.h"

namespace dirtyscope {

DirtyRing::DirtyRing(const Vcpu& vcpu, uint32_t entries)
    : vcpu_id_(vcpu.id()),
      entries_(entries),
      mapping_(vcpu.map_region("dirty ring", uint64_t{entries} * sizeof(kvm_dirty_gfn),
                               DS_KVM_DIRTY_LOG_PAGE_OFFSET, PROT_READ | PROT_WRITE)),
      gfns_(mapping_.as<kvm_dirty_gfn>()) {}

}  // namespace dirtyscope
