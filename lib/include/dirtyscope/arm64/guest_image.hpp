// The arm64 guest: lays out the system memslot (shared pages, code with
// its exception vectors, stacks) and gives each vCPU its initial
// registers, the arm64 counterpart of x86::GuestImage: the same guest C
// (lib/guest/, protocol.h), its own entry (lib/guest/arm64/entry.S) and
// report (an MMIO store). Registers are set one by one: Vcpu::arm_init()
// with Vm::preferred_target(), then Vcpu::set_one_reg() for each OneReg.
// The MMU is on, with cacheable 1 GiB identity blocks (why:
// docs/kernels-and-vm-harness.md); stage-1 blocks do not change what
// dirty logging sees, which is stage 2. Not yet: EL0 (x86's CPL3) and the
// migrate program (it reads the TSC).
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

#include "dirtyscope/guest_program.hpp"

extern "C" {
#include "protocol.h"
}

namespace dirtyscope::arm64 {

using dirtyscope::GuestCpl;
using dirtyscope::GuestProgram;

// Guest physical layout of the system slot (slot 0, at GPA 0). The same
// offsets as x86 where the content is the same.
struct SystemLayout {
  static constexpr uint64_t kPageTable = 0x1000;   // the level-1 table (x86: GDT)
  static constexpr uint64_t kShared = 0x3000;      // struct ds_shared, 4 pages
  static constexpr uint64_t kCode = kGuestCode;  // guest_text (guest_program.hpp)
  static constexpr uint64_t kStacks = 0x100000;    // 16 KiB per vCPU
  static constexpr uint64_t kStackPerVcpu = 0x4000;
  static constexpr uint64_t kSize = 0x200000;      // one 2 MiB slot
};
static_assert(sizeof(ds_shared) <= SystemLayout::kCode - SystemLayout::kShared);
static_assert(DS_MAX_VCPUS * SystemLayout::kStackPerVcpu <= SystemLayout::kSize - SystemLayout::kStacks);
static_assert(DS_GUEST_MMIO_ADDR >= SystemLayout::kSize, "the report address must be outside the system slot");

// One KVM_SET_ONE_REG: the register's id, its value, a name for errors.
struct OneReg {
  uint64_t id;
  uint64_t value;
  const char* name;
};

class GuestImage {
 public:
  // Plans a guest whose test region is [test_gpa, test_gpa + test_size).
  GuestImage(uint64_t test_gpa, uint64_t test_size);

  uint64_t system_size() const { return SystemLayout::kSize; }
  // Copies the guest code into the system slot's host memory.
  void write_system(uint8_t* system_host) const;
  // Registers of vCPU `index` after KVM_ARM_VCPU_INIT, in the order to set
  // them: MAIR/TCR/TTBR0 for the tables, SCTLR_EL1 (its reset value, read
  // with get_one_reg(sctlr_reg()), plus MMU and caches on), x0-x3, SP, PSTATE, PC.
  std::vector<OneReg> initial_regs(uint32_t index, uint64_t sctlr_reset,
                                   GuestProgram program = GuestProgram::RandomWrites) const;
  static ds_shared* shared(uint8_t* system_host) {
    return reinterpret_cast<ds_shared*>(system_host + SystemLayout::kShared);
  }

  // Register ids the host reads after a DS_CMD_EXCEPTION report.
  static uint64_t x_reg(unsigned n);
  static uint64_t pc_reg();
  static uint64_t sctlr_reg();

 private:
  uint64_t test_gpa_, test_size_;
};

}  // namespace dirtyscope::arm64
