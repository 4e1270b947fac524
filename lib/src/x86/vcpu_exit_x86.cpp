// x86's exits of the guest protocol: commands are 32-bit OUTs to
// DS_GUEST_PORT (lib/guest/protocol.h); a guest exception reports the
// vector, error code, RIP and CR2 its handler saw.
#include <string>

#include "dirtyscope/hex.hpp"
#include "dirtyscope/vcpu_exit.hpp"

extern "C" {
#include "protocol.h"
}

namespace dirtyscope {

namespace {
const char* exception_name(uint64_t vector) {
  static const char* names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "?",
                                "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};
  return vector < sizeof(names) / sizeof(names[0]) ? names[vector] : "?";
}
}  // namespace

std::optional<uint32_t> guest_command(const kvm_run* run) {
  if (run->exit_reason != KVM_EXIT_IO || run->io.port != DS_GUEST_PORT ||
      run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4)
    return std::nullopt;
  return *reinterpret_cast<const uint32_t*>(reinterpret_cast<const uint8_t*>(run) + run->io.data_offset);
}

std::string describe_fatal_exit(const Vcpu& vcpu) {
  const kvm_run* run = vcpu.run_state();
  switch (run->exit_reason) {
    case KVM_EXIT_IO: {
      auto cmd = guest_command(run);
      if (!cmd) return "unexpected port I/O at port " + hex(run->io.port);
      if (*cmd == DS_CMD_EXCEPTION) {
        kvm_regs r = vcpu.get_regs();
        return std::string("guest exception ") + exception_name(r.rdi) + " (vector " + std::to_string(r.rdi) +
               ") error code " + hex(r.rsi) + " at rip " + hex(r.rcx) + ", cr2 " + hex(vcpu.get_sregs().cr2);
      }
      return "unknown guest command " + std::to_string(*cmd);
    }
    case KVM_EXIT_SHUTDOWN:
      return "guest shut down (triple fault) at rip " + hex(vcpu.get_regs().rip);
    case KVM_EXIT_FAIL_ENTRY:
      return "KVM_EXIT_FAIL_ENTRY, hardware reason " + hex(run->fail_entry.hardware_entry_failure_reason);
    case KVM_EXIT_INTERNAL_ERROR:
      return "KVM_EXIT_INTERNAL_ERROR suberror " + std::to_string(run->internal.suberror) + " at rip " +
             hex(vcpu.get_regs().rip) +
             (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
                  ? " (KVM's instruction emulator could not run a guest instruction)"
                  : "");
    default:
      return "unexpected exit reason " + std::to_string(run->exit_reason);
  }
}

uint64_t guest_program_counter(const Vcpu& vcpu) { return vcpu.get_regs().rip; }

}  // namespace dirtyscope
