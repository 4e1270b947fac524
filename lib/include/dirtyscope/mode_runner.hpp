// Runs one dirty_log_test mode end to end on the live kernel: builds the
// VM, runs iterations of guest writes and collections, verifies each one.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dirtyscope/collector.hpp"
#include "dirtyscope/guest_vm.hpp"
#include "dirtyscope/verifier.hpp"
#include "dirtyscope/write_mix.hpp"

namespace dirtyscope {

struct ModeResult;

// Points in a run where a caller may look at the kernel from outside (e.g.
// statistics sources), while the VM exists.
struct RunHooks {
  std::function<void()> vm_ready;            // VM built, nothing dirtied yet
  std::function<void(ModeResult&)> vm_done;  // iterations over, vCPUs paused, VM alive
  // Something to run beside the VM while the mode runs (the memslot churn
  // test's thread): made once the VM is built, destroyed before the VM,
  // also when the run fails.
  std::function<std::shared_ptr<void>(Vm&)> companion;
};

struct RunOptions {
  std::string mode = "dirty-log";
  GuestConfig guest;
  uint32_t iterations = 32;
  uint32_t interval_ms = 10;
  uint32_t ring_entries = 0;  // 0: the mode's default (default_ring_entries)
  Injection injection = Injection::None;
  WriteMixOptions mix;
  // dirty-ring: harvest only on soft-full exits, each vCPU exits ring-full
  // every iteration (the OwnRingOnFull policy); other modes skip.
  bool soft_full = false;
  // Ring modes: a thread signals the runner thread (a no-op handler, no
  // SA_RESTART) again and again while the mode runs, so KVM_RESET_DIRTY_RINGS
  // meets pending signals as in a VMM's collector thread.
  bool reset_signals = false;
  // Before logging is turned on, the guest writes every page once (stamp
  // 0), so logging starts on memory KVM has mapped writable, as a
  // migration does: enabling it must write-protect (and split) what the
  // guest mapped. False (--log-from-start): memslots log from creation.
  bool populate_first = true;
  // No iteration may pass vacuously: each vCPU makes at least this many
  // writes before the runner pauses it (it waits past the interval if
  // needed), besides finishing its part of the write mix.
  uint64_t min_writes_per_vcpu = 64;
  std::chrono::milliseconds stall_timeout{60000};
  RunHooks hooks;
};

enum class Outcome { Pass, Fail, Skip };
const char* outcome_name(Outcome o);

// The seed a mode runs with: the run's --seed mixed with the mode's name,
// so `-M all` writes different pages in each mode and `-M <mode> --seed S`
// repeats exactly what `-M all --seed S` did in that mode.
uint64_t mode_seed(uint64_t run_seed, std::string_view mode);

struct ModeResult {
  std::string mode;
  Outcome outcome = Outcome::Pass;
  std::string reason;                  // why it failed or skipped
  std::vector<std::string> offenders;  // first offending pages, readable
  uint64_t iterations = 0;             // completed and verified
  uint64_t seed = 0;                   // mode_seed() of the run's seed
  uint64_t guest_writes = 0;
  uint64_t pages_reported_dirty = 0;   // sum over collections
  uint64_t pages_written = 0;          // distinct test pages written under logging
  uint64_t pages_rewritten = 0;        // reports of pages whose content changed since their last report
  uint64_t verified_collections = 0;   // collections judged on their own (incl. the one before iteration 1)
  CollectorCounters counters;
  uint32_t ring_entries = 0;           // per vCPU ring; 0 for bitmap modes
  uint32_t vcpus = 0;
  DirtyIoctlCounts ioctls;             // dirty-log ioctls the run issued
  double elapsed_s = 0;
};

// `diag` receives one line per iteration and per notable event (KTAP '#').
ModeResult run_mode(const KvmSystem& kvm, const RunOptions& options,
                    const std::function<void(const std::string&)>& diag);

}  // namespace dirtyscope
