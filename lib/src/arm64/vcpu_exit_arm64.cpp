// arm64's exits of the guest protocol: commands are 32-bit stores to
// DS_GUEST_MMIO_ADDR, outside every memslot, so each exits as
// KVM_EXIT_MMIO (lib/guest/guest_report.h). A guest exception reports the
// vector offset, ESR_EL1, ELR_EL1 and FAR_EL1 in x0..x3
// (lib/guest/arm64/entry.S).
#include <cstring>
#include <string>

#include "dirtyscope/arm64/guest_image.hpp"
#include "dirtyscope/hex.hpp"
#include "dirtyscope/vcpu_exit.hpp"

extern "C" {
#include "protocol.h"
}

namespace dirtyscope {

namespace {
// ESR_ELx.EC, for the classes this guest can take.
std::string exception_class(uint64_t esr) {
  const uint64_t ec = (esr >> 26) & 0x3f;
  switch (ec) {
    case 0x00: return "unknown reason (undefined instruction)";
    case 0x07: return "FP/SIMD access";
    case 0x15: return "SVC";
    case 0x18: return "trapped system register access";
    case 0x20: case 0x21: return "instruction abort";
    case 0x22: return "PC alignment fault";
    case 0x24: case 0x25: return "data abort";
    case 0x26: return "SP alignment fault";
    case 0x3c: return "BRK";
    default: return "exception class " + hex(ec);
  }
}
}  // namespace

std::optional<uint32_t> guest_command(const kvm_run* run) {
  if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write || run->mmio.phys_addr != DS_GUEST_MMIO_ADDR ||
      run->mmio.len != 4)
    return std::nullopt;
  uint32_t cmd;
  std::memcpy(&cmd, run->mmio.data, sizeof(cmd));
  return cmd;
}

std::string describe_fatal_exit(const Vcpu& vcpu) {
  const kvm_run* run = vcpu.run_state();
  auto reg = [&](unsigned n) { return vcpu.get_one_reg(arm64::GuestImage::x_reg(n)); };
  switch (run->exit_reason) {
    case KVM_EXIT_MMIO: {
      auto cmd = guest_command(run);
      if (!cmd)
        return std::string("unexpected MMIO ") + (run->mmio.is_write ? "write" : "read") + " of " +
               std::to_string(run->mmio.len) + " bytes at " + hex(run->mmio.phys_addr) + ", pc " +
               hex(guest_program_counter(vcpu));
      if (*cmd == DS_CMD_EXCEPTION)
        return "guest exception: " + exception_class(reg(1)) + " (vector offset " + hex(reg(0)) + ", ESR_EL1 " +
               hex(reg(1)) + ") at pc " + hex(reg(2)) + ", FAR_EL1 " + hex(reg(3));
      return "unknown guest command " + std::to_string(*cmd);
    }
    case KVM_EXIT_SYSTEM_EVENT:
      return "guest system event " + std::to_string(run->system_event.type) + " at pc " +
             hex(guest_program_counter(vcpu));
    case KVM_EXIT_FAIL_ENTRY:
      return "KVM_EXIT_FAIL_ENTRY, hardware reason " + hex(run->fail_entry.hardware_entry_failure_reason);
    case KVM_EXIT_INTERNAL_ERROR:
      return "KVM_EXIT_INTERNAL_ERROR suberror " + std::to_string(run->internal.suberror) + " at pc " +
             hex(guest_program_counter(vcpu));
    case KVM_EXIT_ARM_NISV:
      // A stage-2 fault on memory outside every writable memslot by an
      // instruction whose syndrome does not describe the access (a pair
      // store, a writeback): KVM cannot emulate it as MMIO.
      return "KVM_EXIT_ARM_NISV at IPA " + hex(run->arm_nisv.fault_ipa) + " (an access KVM cannot decode as MMIO), pc " +
             hex(guest_program_counter(vcpu));
    default:
      return "unexpected exit reason " + std::to_string(run->exit_reason);
  }
}

uint64_t guest_program_counter(const Vcpu& vcpu) { return vcpu.get_one_reg(arm64::GuestImage::pc_reg()); }

}  // namespace dirtyscope
