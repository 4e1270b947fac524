// arm64's half of GuestVm: KVM_ARM_VCPU_INIT with the host's preferred
// target, then each register by id (KVM_SET_ONE_REG), SCTLR_EL1 built on
// the value KVM reset it to.
#include <string>

#include "dirtyscope/error.hpp"
#include "dirtyscope/guest_vm.hpp"

namespace dirtyscope {

void GuestVm::init_vcpu_state(const KvmSystem&, Vcpu& vcpu, uint32_t index) {
  // EL0 would need stage-1 tables that keep EL0-writable pages apart from
  // the EL1 code (an EL0-writable page is never EL1-executable); stage-2,
  // which is what dirty logging watches, is the same for either level.
  if (config_.cpl != GuestCpl::Kernel)
    throw UsageError("-u 3: arm64 runs the guest program at EL1 only (EL0 is not built); use -u 0");
  // A guest access outside every writable memslot whose fault syndrome does
  // not describe it (a pair, a writeback form) cannot be emulated as MMIO.
  // Without this capability KVM_RUN just fails with ENOSYS; with it the vCPU
  // exits as KVM_EXIT_ARM_NISV, which describe_fatal_exit reports with the
  // IPA and pc. A VM-wide flag: set once, with the first vCPU.
  if (index == 0 && vm_.check_extension(KVM_CAP_ARM_NISV_TO_USER) > 0) vm_.enable_cap(KVM_CAP_ARM_NISV_TO_USER, 0);
  vcpu.arm_init(vm_.preferred_target());
  const uint64_t sctlr = vcpu.get_one_reg(arm64::GuestImage::sctlr_reg());
  for (const arm64::OneReg& r : image_.initial_regs(index, sctlr, config_.program)) {
    try {
      vcpu.set_one_reg(r.id, r.value);
    } catch (const KvmError& e) {
      throw KvmError(std::string("KVM_SET_ONE_REG(") + r.name + ")", e.err());
    }
  }
}

}  // namespace dirtyscope
