#include "dirtyscope/arm64/guest_image.hpp"

#include <asm/ptrace.h>

#include <cstddef>
#include <stdexcept>
#include <string>

// The exception vectors of the guest code (lib/guest/arm64/entry.S).
extern "C" const uint8_t ds_arm64_vectors[];

namespace dirtyscope::arm64 {

namespace {
// A 64-bit core register (struct kvm_regs) by its offset in 32-bit words,
// the encoding KVM_{GET,SET}_ONE_REG expects for KVM_REG_ARM_CORE.
constexpr uint64_t core_reg(size_t byte_offset) {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (byte_offset / sizeof(uint32_t));
}

// EL1 using SP_EL1, with debug, SError, IRQ and FIQ masked: the guest
// takes no interrupts and reports exceptions itself.
constexpr uint64_t kInitialPstate = PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT;

// System registers by (op0, op1, CRn, CRm, op2), as KVM_SET_ONE_REG names them.
constexpr uint64_t kSctlrEl1 = ARM64_SYS_REG(3, 0, 1, 0, 0);
constexpr uint64_t kTtbr0El1 = ARM64_SYS_REG(3, 0, 2, 0, 0);
constexpr uint64_t kTcrEl1 = ARM64_SYS_REG(3, 0, 2, 0, 2);
constexpr uint64_t kMairEl1 = ARM64_SYS_REG(3, 0, 10, 2, 0);

constexpr uint64_t k1G = 1ULL << 30;
// MAIR_EL1: index 0 Normal inner/outer write-back read/write-allocate,
// index 1 Device-nGnRE (the report address).
constexpr uint64_t kMair = 0xffULL | (0x04ULL << 8);
constexpr uint64_t kAttrNormal = 0, kAttrDevice = 1;
// TCR_EL1: T0SZ 25 (39-bit VA: the walk starts at level 1), TTBR0 walks
// inner/outer write-back cacheable and inner shareable, 4 KiB granule,
// EPD1 (no TTBR1 walks), IPS 40 bits (KVM's default IPA size).
constexpr uint64_t kTcr = 25 | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) | (0ULL << 14) | (1ULL << 23) |
                          (2ULL << 32);
constexpr uint64_t kVaLimit = 1ULL << 39;
// SCTLR_EL1: M (stage-1 MMU), C (data cacheable), I (instruction cacheable).
constexpr uint64_t kSctlrMmuOn = (1ULL << 0) | (1ULL << 2) | (1ULL << 12);

// A level-1 block descriptor mapping the GiB at `pa` with MAIR index `attr`:
// valid block, EL1 read/write, inner shareable, access flag set; Device
// blocks are never executable (UXN, PXN).
uint64_t block_1g(uint64_t pa, uint64_t attr) {
  uint64_t d = pa | (1ULL << 10) | (3ULL << 8) | (attr << 2) | 0x1;
  if (attr == kAttrDevice) d |= (1ULL << 54) | (1ULL << 53);
  return d;
}
}  // namespace

uint64_t GuestImage::x_reg(unsigned n) {
  if (n > 30) throw std::invalid_argument("arm64 has x0..x30, not x" + std::to_string(n));
  return core_reg(offsetof(kvm_regs, regs.regs) + n * sizeof(uint64_t));
}
uint64_t GuestImage::pc_reg() { return core_reg(offsetof(kvm_regs, regs.pc)); }
uint64_t GuestImage::sctlr_reg() { return kSctlrEl1; }

GuestImage::GuestImage(uint64_t test_gpa, uint64_t test_size) : test_gpa_(test_gpa), test_size_(test_size) {
  if (test_gpa_ < SystemLayout::kSize)
    throw std::invalid_argument("test memory overlaps the guest's system area (below " +
                                std::to_string(SystemLayout::kSize) + ")");
  // The report address must stay outside every memslot, or the store that
  // reports would just write memory and never exit.
  if (test_gpa_ + test_size_ > kVaLimit)
    throw std::invalid_argument("test memory ends beyond the guest's 39-bit identity map (" +
                                std::to_string(kVaLimit) + ")");
  if (DS_GUEST_MMIO_ADDR >= test_gpa_ && DS_GUEST_MMIO_ADDR < test_gpa_ + test_size_)
    throw std::invalid_argument("test memory covers the guest's report address " +
                                std::to_string(DS_GUEST_MMIO_ADDR));
}

void GuestImage::write_system(uint8_t* system) const {
  // Identity blocks for every GiB up to the end of the test region; the
  // memory between slots is mapped but never touched.
  auto* l1 = reinterpret_cast<uint64_t*>(system + SystemLayout::kPageTable);
  const uint64_t end = test_gpa_ + test_size_;
  for (uint64_t gib = 0; gib * k1G < end || gib * k1G <= DS_GUEST_MMIO_ADDR; ++gib) {
    const bool mmio = DS_GUEST_MMIO_ADDR >= gib * k1G && DS_GUEST_MMIO_ADDR < (gib + 1) * k1G;
    l1[gib] = block_1g(gib * k1G, mmio ? kAttrDevice : kAttrNormal);
  }
  copy_guest_text(system);
}

std::vector<OneReg> GuestImage::initial_regs(uint32_t index, uint64_t sctlr_reset, GuestProgram program) const {
  if (index >= DS_MAX_VCPUS) throw std::invalid_argument("vCPU index beyond DS_MAX_VCPUS");
  const uint64_t params = SystemLayout::kShared + offsetof(ds_shared, vcpu) + index * sizeof(ds_vcpu_params);
  // 16-byte aligned, as AAPCS64 requires of SP at a public interface.
  const uint64_t stack_top = SystemLayout::kStacks + (index + 1) * SystemLayout::kStackPerVcpu;
  return {
      {kMairEl1, kMair, "MAIR_EL1"},
      {kTcrEl1, kTcr, "TCR_EL1"},
      {kTtbr0El1, SystemLayout::kPageTable, "TTBR0_EL1"},
      {kSctlrEl1, sctlr_reset | kSctlrMmuOn, "SCTLR_EL1"},
      {x_reg(0), SystemLayout::kShared, "x0"},
      {x_reg(1), params, "x1"},
      {x_reg(2), guest_program_addr(program), "x2"},
      {x_reg(3), guest_code_addr(ds_arm64_vectors), "x3"},
      {core_reg(offsetof(kvm_regs, sp_el1)), stack_top, "sp_el1"},
      {core_reg(offsetof(kvm_regs, regs.pstate)), kInitialPstate, "pstate"},
      {pc_reg(), guest_entry_addr(), "pc"},
  };
}

}  // namespace dirtyscope::arm64
