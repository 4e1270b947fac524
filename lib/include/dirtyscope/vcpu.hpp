// Owner of a vCPU fd and its kvm_run mapping.
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "dirtyscope/mapping.hpp"
#include "dirtyscope/unique_fd.hpp"
#include "dirtyscope/vm.hpp"

namespace dirtyscope {

class Vcpu {
 public:
  Vcpu(Vm& vm, uint32_t id);

  uint32_t id() const { return id_; }
  int fd() const { return fd_.get(); }
  kvm_run* run_state() const { return run_.as<kvm_run>(); }

  // KVM_RUN. Returns 0, or -EINTR when a signal kicked us out; any other
  // error throws.
  int run();
#if defined(__x86_64__)
  kvm_regs get_regs() const;
  void set_regs(kvm_regs regs);
  kvm_sregs get_sregs() const;
  void set_sregs(kvm_sregs sregs);
  void set_cpuid(std::vector<uint8_t> cpuid2_blob);
#elif defined(__aarch64__)
  // arm64 has no KVM_SET_REGS/SREGS: a vCPU is first initialised with
  // KVM_ARM_VCPU_INIT (target and features, see Vm::preferred_target()),
  // then each register is set on its own by id (KVM_SET_ONE_REG).
  void arm_init(kvm_vcpu_init init);
  void set_one_reg(uint64_t id, uint64_t value);
  uint64_t get_one_reg(uint64_t id) const;
#endif

  // Maps `bytes` of this vCPU's fd at `page_offset` pages (the dirty ring).
  Mapping map_region(const char* what, size_t bytes, off_t page_offset, int prot) const;

 private:
  uint32_t id_;
  UniqueFd fd_;
  Mapping run_;
};

}  // namespace dirtyscope
