// The two ends of one migration: the source runs the workload and pre-copy
// with a collector, the destination rebuilds the VM from the stream,
// compares checksums and resumes it. Each runs in its own process, joined
// by a Channel (migrate_run.cpp forks them).
#pragma once

#include <linux/kvm.h>

#include <functional>
#include <string>

#include "channel.hpp"
#include "dirtyscope/kvm_system.hpp"
#include "dirtyscope/migrate/migrate_options.hpp"
#include "dirtyscope/migrate/migrate_result.hpp"

namespace dirtyscope::migrate {

// What stop-and-copy carries per vCPU. The workload uses general-purpose
// registers only, no interrupts, no MSR beyond EFER (in sregs), so this is
// its whole architectural state once pending port I/O is complete.
struct VcpuState {
  kvm_regs regs;
  kvm_sregs sregs;
};

// The GuestConfig both sides build, so their memory layouts match.
GuestConfig migration_guest(const MigrateOptions& options, uint64_t seed);

using Diag = std::function<void(const std::string&)>;

// Fills everything in `result` the source knows; throws SkipError when the
// mode cannot run here, ChannelError/KvmError/CollectorError on failure.
void run_source(const KvmSystem& kvm, const MigrateOptions& options, uint64_t seed, Channel& channel,
                MigrateResult& result, const Diag& diag);

// Returns when the source is done with it; throws on failure (after
// telling the source in an Error frame where it can).
void run_destination(const KvmSystem& kvm, const MigrateOptions& options, uint64_t seed, Channel& channel);

}  // namespace dirtyscope::migrate
