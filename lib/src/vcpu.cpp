#include "dirtyscope/vcpu.hpp"

#include <sys/mman.h>

#include "dirtyscope/error.hpp"
#include "dirtyscope/ioctl.hpp"
#include "dirtyscope/kvm_abi.hpp"

namespace dirtyscope {

Vcpu::Vcpu(Vm& vm, uint32_t id)
    : id_(id),
      fd_(static_cast<int>(kvm_ioctl(vm.fd(), KVM_CREATE_VCPU, static_cast<unsigned long>(id)))),
      run_(Mapping::map("kvm_run", static_cast<size_t>(vm.system().vcpu_mmap_size()),
                        PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0)) {}

int Vcpu::run() {
  long r = kvm_ioctl_raw(fd(), KVM_RUN, nullptr);
  if (r == -EINTR) return -EINTR;
  if (r < 0) throw KvmError("KVM_RUN", static_cast<int>(-r), ioctl_hint("KVM_RUN", static_cast<int>(-r)));
  return 0;
}

#if defined(__x86_64__)
kvm_regs Vcpu::get_regs() const {
  kvm_regs regs{};
  kvm_ioctl(fd(), KVM_GET_REGS, &regs);
  return regs;
}

void Vcpu::set_regs(kvm_regs regs) { kvm_ioctl(fd(), KVM_SET_REGS, &regs); }

kvm_sregs Vcpu::get_sregs() const {
  kvm_sregs sregs{};
  kvm_ioctl(fd(), KVM_GET_SREGS, &sregs);
  return sregs;
}

void Vcpu::set_sregs(kvm_sregs sregs) { kvm_ioctl(fd(), KVM_SET_SREGS, &sregs); }

void Vcpu::set_cpuid(std::vector<uint8_t> cpuid2_blob) {
  kvm_ioctl(fd(), DS_KVM_SET_CPUID2, reinterpret_cast<KvmCpuid2Header*>(cpuid2_blob.data()));
}
#elif defined(__aarch64__)
void Vcpu::arm_init(kvm_vcpu_init init) { kvm_ioctl(fd(), KVM_ARM_VCPU_INIT, &init); }

void Vcpu::set_one_reg(uint64_t id, uint64_t value) {
  kvm_one_reg reg{id, reinterpret_cast<uint64_t>(&value)};
  kvm_ioctl(fd(), KVM_SET_ONE_REG, &reg);
}

uint64_t Vcpu::get_one_reg(uint64_t id) const {
  uint64_t value = 0;
  kvm_one_reg reg{id, reinterpret_cast<uint64_t>(&value)};
  kvm_ioctl(fd(), KVM_GET_ONE_REG, &reg);
  return value;
}
#endif

Mapping Vcpu::map_region(const char* what, size_t bytes, off_t page_offset, int prot) const {
  return Mapping::map(what, bytes, prot, MAP_SHARED, fd(), page_offset * 4096);
}

}  // namespace dirtyscope
