// vCPU exits decoded the same way by every runner (selftest and
// benchmark): the guest's commands (x86: OUT to DS_GUEST_PORT; arm64: a
// store to DS_GUEST_MMIO_ADDR), the kick that gets a thread out of
// KVM_RUN, and the text for exits that end a run. The kick is shared;
// the rest is per architecture (lib/src/x86/, lib/src/arm64/).
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <optional>
#include <string>

#include "dirtyscope/vcpu.hpp"

namespace dirtyscope {

// The signal that interrupts KVM_RUN in a vCPU thread (KVM_RUN returns
// EINTR; install_interrupting_handler, signal_storm.hpp).
inline constexpr int kVcpuKickSignal = 10;  // SIGUSR1

// The command the guest reported (lib/guest/protocol.h), or nullopt when
// this exit is anything else.
std::optional<uint32_t> guest_command(const kvm_run* run);

// Why this exit ends the run: a guest exception (x86: vector, error code,
// RIP, CR2; arm64: exception class, ESR, ELR, FAR), an unknown command, I/O
// elsewhere, a triple fault, a failed entry, KVM's emulator giving up, or
// an exit reason we do not handle.
std::string describe_fatal_exit(const Vcpu& vcpu);

// The vCPU's instruction pointer (x86 RIP, arm64 PC), for diagnostics.
uint64_t guest_program_counter(const Vcpu& vcpu);

}  // namespace dirtyscope
