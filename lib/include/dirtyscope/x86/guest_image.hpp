// The x86-64 long-mode guest: lays out the system memslot (GDT, IDT, TSSs,
// shared page, code, stacks, page tables) and gives each vCPU its initial
// registers. The workload itself is in lib/guest/ (see protocol.h there).
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "dirtyscope/guest_program.hpp"

extern "C" {
#include "protocol.h"
}

namespace dirtyscope::x86 {

// The arch-neutral names (guest_program.hpp), also spelled x86::.
using dirtyscope::GuestCpl;
using dirtyscope::GuestProgram;

// Guest physical layout of the system slot (slot 0, at GPA 0).
struct SystemLayout {
  static constexpr uint64_t kGdt = 0x1000;
  static constexpr uint64_t kIdt = 0x2000;
  static constexpr uint64_t kShared = 0x3000;  // struct ds_shared, 4 pages
  static constexpr uint64_t kTss = 0x7000;     // one 128-byte TSS per vCPU
  static constexpr uint64_t kCode = kGuestCode;  // guest_text (guest_program.hpp)
  static constexpr uint64_t kStacks = 0x100000;  // 16 KiB per vCPU: kernel then user
  static constexpr uint64_t kStackPerVcpu = 0x4000;
  static constexpr uint64_t kPageTables = 0x200000;
};
static_assert(sizeof(ds_shared) <= SystemLayout::kTss - SystemLayout::kShared);
static_assert(SystemLayout::kTss + DS_MAX_VCPUS * 128 <= SystemLayout::kCode);
static_assert(DS_IDT_ENTRIES * 16 <= 4096);
static_assert(DS_MAX_VCPUS * SystemLayout::kStackPerVcpu <=
              SystemLayout::kPageTables - SystemLayout::kStacks);

class GuestImage {
 public:
  // Plans a guest whose test region is [test_gpa, test_gpa + test_size).
  GuestImage(uint64_t test_gpa, uint64_t test_size);

  // Bytes the system slot needs (a multiple of 2 MiB).
  uint64_t system_size() const { return system_size_; }
  // Writes GDT, IDT, code, page tables into the system slot's host memory.
  void write_system(uint8_t* system_host) const;
  // Initial state of vCPU `index`.
  kvm_sregs initial_sregs(const kvm_sregs& current, uint32_t index) const;
  kvm_regs initial_regs(uint32_t index, GuestCpl cpl,
                        GuestProgram program = GuestProgram::RandomWrites) const;
  // The shared page, as the host sees it.
  static ds_shared* shared(uint8_t* system_host) {
    return reinterpret_cast<ds_shared*>(system_host + SystemLayout::kShared);
  }

 private:
  uint64_t test_gpa_, test_size_;
  uint64_t system_size_;
};

}  // namespace dirtyscope::x86
