#include "dirtyscope/arm64/guest_image.hpp"

#include <asm/ptrace.h>

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>

// Bounds of the guest code section and its symbols (lib/guest/).
extern "C" {
extern const uint8_t __start_guest_text[];
extern const uint8_t __stop_guest_text[];
extern const uint8_t ds_guest_entry[];
extern const uint8_t ds_arm64_vectors[];
void ds_guest_main(ds_shared*, ds_vcpu_params*);
void ds_perf_guest_main(ds_shared*, ds_vcpu_params*);
void ds_spp_guest_main(ds_shared*, ds_vcpu_params*);
}

namespace dirtyscope::arm64 {

namespace {
uint64_t guest_code_addr(const void* host_symbol) {
  auto offset = static_cast<uint64_t>(static_cast<const uint8_t*>(host_symbol) - __start_guest_text);
  return SystemLayout::kCode + offset;
}

// A 64-bit core register (struct kvm_regs) by its offset in 32-bit words,
// the encoding KVM_{GET,SET}_ONE_REG expects for KVM_REG_ARM_CORE.
constexpr uint64_t core_reg(size_t byte_offset) {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (byte_offset / sizeof(uint32_t));
}

// EL1 using SP_EL1, with debug, SError, IRQ and FIQ masked: the guest
// takes no interrupts and reports exceptions itself.
constexpr uint64_t kInitialPstate = PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT;

const void* program_entry(GuestProgram program) {
  switch (program) {
    case GuestProgram::PerfPasses: return reinterpret_cast<const void*>(&ds_perf_guest_main);
    case GuestProgram::SppStores: return reinterpret_cast<const void*>(&ds_spp_guest_main);
    case GuestProgram::RandomWrites: break;
  }
  return reinterpret_cast<const void*>(&ds_guest_main);
}
}  // namespace

uint64_t GuestImage::x_reg(unsigned n) {
  if (n > 30) throw std::invalid_argument("arm64 has x0..x30, not x" + std::to_string(n));
  return core_reg(offsetof(kvm_regs, regs.regs) + n * sizeof(uint64_t));
}
uint64_t GuestImage::pc_reg() { return core_reg(offsetof(kvm_regs, regs.pc)); }

GuestImage::GuestImage(uint64_t test_gpa, uint64_t test_size) : test_gpa_(test_gpa), test_size_(test_size) {
  auto code_size = static_cast<uint64_t>(__stop_guest_text - __start_guest_text);
  if (code_size > SystemLayout::kCodeMax) throw std::logic_error("guest code larger than its area");
  if (test_gpa_ < SystemLayout::kSize)
    throw std::invalid_argument("test memory overlaps the guest's system area (below " +
                                std::to_string(SystemLayout::kSize) + ")");
  // The report address must stay outside every memslot, or the store that
  // reports would just write memory and never exit.
  if (DS_GUEST_MMIO_ADDR >= test_gpa_ && DS_GUEST_MMIO_ADDR < test_gpa_ + test_size_)
    throw std::invalid_argument("test memory covers the guest's report address " +
                                std::to_string(DS_GUEST_MMIO_ADDR));
}

void GuestImage::write_system(uint8_t* system) const {
  std::memcpy(system + SystemLayout::kCode, __start_guest_text,
              static_cast<size_t>(__stop_guest_text - __start_guest_text));
}

std::vector<OneReg> GuestImage::initial_regs(uint32_t index, GuestProgram program) const {
  if (index >= DS_MAX_VCPUS) throw std::invalid_argument("vCPU index beyond DS_MAX_VCPUS");
  const uint64_t params = SystemLayout::kShared + offsetof(ds_shared, vcpu) + index * sizeof(ds_vcpu_params);
  // 16-byte aligned, as AAPCS64 requires of SP at a public interface.
  const uint64_t stack_top = SystemLayout::kStacks + (index + 1) * SystemLayout::kStackPerVcpu;
  return {
      {x_reg(0), SystemLayout::kShared, "x0"},
      {x_reg(1), params, "x1"},
      {x_reg(2), guest_code_addr(program_entry(program)), "x2"},
      {x_reg(3), guest_code_addr(ds_arm64_vectors), "x3"},
      {core_reg(offsetof(kvm_regs, sp_el1)), stack_top, "sp_el1"},
      {core_reg(offsetof(kvm_regs, regs.pstate)), kInitialPstate, "pstate"},
      {pc_reg(), guest_code_addr(ds_guest_entry), "pc"},
  };
}

}  // namespace dirtyscope::arm64
