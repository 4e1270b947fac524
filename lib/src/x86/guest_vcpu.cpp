// x86's half of GuestVm: a vCPU gets KVM's supported CPUID, then the
// long-mode segments and page tables, then the registers that enter the
// guest program at the configured CPL.
#include "dirtyscope/guest_vm.hpp"

namespace dirtyscope {

void GuestVm::init_vcpu_state(const KvmSystem& kvm, Vcpu& vcpu, uint32_t index) {
  vcpu.set_cpuid(kvm.supported_cpuid());
  vcpu.set_sregs(image_.initial_sregs(vcpu.get_sregs(), index));
  vcpu.set_regs(image_.initial_regs(index, config_.cpl, config_.program));
}

}  // namespace dirtyscope
