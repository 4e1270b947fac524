#include "dirtyscope/x86/guest_image.hpp"

#include <cstring>
#include <stdexcept>

#include "dirtyscope/x86/page_tables.hpp"

// The exception stubs and the CPL3 gate of the guest code (lib/guest/entry.S).
extern "C" {
extern const uint8_t ds_exception_stubs[];
extern const uint8_t ds_guest_call[];
}

namespace dirtyscope::x86 {

namespace {
constexpr uint64_t k2M = 2ULL << 20;

// 64-bit GDT descriptors: flat segments; L=1 for code.
constexpr uint64_t kGdtEntries[] = {
    0,                      // null
    0x00af9a000000ffffULL,  // 0x08 kernel code, DPL0, long mode
    0x00cf92000000ffffULL,  // 0x10 kernel data, DPL0
    0x00cff2000000ffffULL,  // 0x18 user data, DPL3
    0x00affa000000ffffULL,  // 0x20 user code, DPL3, long mode
};

// 64-bit interrupt gate to `handler` on the kernel CS; dpl 3 lets CPL3 use `int`.
void set_gate(uint64_t* idt, unsigned vec, uint64_t handler, unsigned dpl) {
  uint64_t type = 0x8e | (uint64_t{dpl} << 5);  // present, 64-bit interrupt gate
  idt[2 * vec] = (handler & 0xffff) | (uint64_t{DS_SEL_KERNEL_CS} << 16) | (type << 40) |
                 (((handler >> 16) & 0xffff) << 48);
  idt[2 * vec + 1] = handler >> 32;
}

void write_idt(uint8_t* system) {
  auto* idt = reinterpret_cast<uint64_t*>(system + SystemLayout::kIdt);
  uint64_t stubs = guest_code_addr(ds_exception_stubs);
  for (unsigned vec = 0; vec < 32; ++vec) set_gate(idt, vec, stubs + 16 * vec, 0);
  set_gate(idt, DS_GUEST_CALL_VECTOR, guest_code_addr(ds_guest_call), 3);
}

uint64_t kernel_stack_top(uint32_t index) {
  return SystemLayout::kStacks + index * SystemLayout::kStackPerVcpu + SystemLayout::kStackPerVcpu / 2;
}
uint64_t user_stack_top(uint32_t index) {
  // 8 below a 16-byte boundary: the ABI's state just after a call.
  return SystemLayout::kStacks + (index + 1) * SystemLayout::kStackPerVcpu - 8;
}

kvm_segment flat_segment(uint16_t selector, uint8_t type, bool code) {
  return kvm_segment{.base = 0, .limit = 0xffffffff, .selector = selector, .type = type, .present = 1,
                     .dpl = static_cast<uint8_t>(selector & 3), .db = !code, .s = 1, .l = code, .g = 1};
}
}  // namespace

GuestImage::GuestImage(uint64_t test_gpa, uint64_t test_size)
    : test_gpa_(test_gpa), test_size_(test_size) {
  // Dry run to learn how many table pages the test region needs; the system
  // area then covers itself and the tables (+3 for its own PDPT/PD/PT).
  PageTableBuilder probe(SystemLayout::kPageTables);
  probe.identity_map(test_gpa_, test_size_);
  uint64_t need = SystemLayout::kPageTables + probe.pool_bytes() + 3 * 4096;
  system_size_ = (need + k2M - 1) & ~(k2M - 1);
  if (test_gpa_ < system_size_)
    throw std::invalid_argument("test memory overlaps the guest's system area (below " +
                                std::to_string(system_size_) + ")");
}

void GuestImage::write_system(uint8_t* system) const {
  std::memcpy(system + SystemLayout::kGdt, kGdtEntries, sizeof(kGdtEntries));
  write_idt(system);
  for (uint32_t i = 0; i < DS_MAX_VCPUS; ++i) {
    // 64-bit TSS: RSP0 at offset 4 is where an exception from CPL3 lands.
    uint64_t rsp0 = kernel_stack_top(i);
    std::memcpy(system + SystemLayout::kTss + i * 128 + 4, &rsp0, sizeof(rsp0));
  }
  copy_guest_text(system);
  PageTableBuilder tables(SystemLayout::kPageTables);
  tables.identity_map(0, system_size_);
  tables.identity_map(test_gpa_, test_size_);
  if (SystemLayout::kPageTables + tables.pool_bytes() > system_size_)
    throw std::logic_error("page tables overflow the system slot");
  tables.write_to(system);
}

kvm_sregs GuestImage::initial_sregs(const kvm_sregs& current, uint32_t index) const {
  kvm_sregs s = current;
  s.cr0 = 0x80050033;  // PG | AM | WP | NE | ET | MP | PE
  s.cr4 = 0x20;        // PAE
  s.efer = 0x500;      // LME | LMA
  s.cr3 = SystemLayout::kPageTables;
  s.cs = flat_segment(DS_SEL_KERNEL_CS, 11, true);
  s.ds = s.es = s.fs = s.gs = s.ss = flat_segment(DS_SEL_KERNEL_DS, 3, false);
  s.gdt.base = SystemLayout::kGdt;
  s.gdt.limit = sizeof(kGdtEntries) - 1;
  s.idt.base = SystemLayout::kIdt;
  s.idt.limit = DS_IDT_ENTRIES * 16 - 1;
  // Each vCPU has its own TSS (busy TSS in a loaded TR cannot be shared).
  s.tr = kvm_segment{.base = SystemLayout::kTss + index * 128, .limit = 0x67, .selector = DS_SEL_TSS, .type = 11,
                     .present = 1};
  s.ldt = kvm_segment{.unusable = 1};
  return s;
}

kvm_regs GuestImage::initial_regs(uint32_t index, GuestCpl cpl, GuestProgram program) const {
  return kvm_regs{.rcx = user_stack_top(index),
                  .rdx = cpl == GuestCpl::User ? 1u : 0u,
                  .rsi = SystemLayout::kShared + offsetof(ds_shared, vcpu) + index * sizeof(ds_vcpu_params),
                  .rdi = SystemLayout::kShared,
                  .rsp = kernel_stack_top(index),
                  .r8 = guest_program_addr(program),
                  .rip = guest_entry_addr(),
                  .rflags = 0x2};  // the CPL3 path gets IOPL 3 from its iretq frame
}

}  // namespace dirtyscope::x86
