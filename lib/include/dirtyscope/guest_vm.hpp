// A ready-to-run VM for the dirty-tracking workload: system slot with the
// guest image (x86-64 long mode or arm64 EL1, see arch_guest.hpp), test
// region split into memslots, vCPUs ready to enter the guest program.
#pragma once

#include <memory>
#include <vector>

#include "dirtyscope/collector.hpp"
#include "dirtyscope/host_memory.hpp"
#include "dirtyscope/kvm_system.hpp"
#include "dirtyscope/test_region.hpp"
#include "dirtyscope/vcpu.hpp"
#include "dirtyscope/vm.hpp"
#include "dirtyscope/arch_guest.hpp"
#include "dirtyscope/guest_program.hpp"

namespace dirtyscope {

struct GuestConfig {
  uint32_t vcpus = 1;
  uint64_t test_size = 1ULL << 30;
  uint64_t test_gpa = 4ULL << 30;
  uint32_t memslots = 1;
  Backing backing = Backing::Anonymous;
  GuestCpl cpl = kDefaultGuestCpl;
  uint64_t seed = 1;
  GuestProgram program = GuestProgram::RandomWrites;
  // False: test memslots start without KVM_MEM_LOG_DIRTY_PAGES, so memory
  // can be populated before logging is turned on (dirty_log_perf does).
  bool log_dirty_from_start = true;
};

// The guest's xorshift64 seed for vCPU `index`: distinct per vCPU (so
// vCPUs do not write the same page sequence) and never 0 (xorshift's
// fixed point). splitmix64 of (run seed, index).
uint64_t vcpu_rng_seed(uint64_t run_seed, uint32_t index);

class GuestVm {
 public:
  static constexpr uint32_t kSystemSlot = 0;
  static constexpr uint32_t kFirstTestSlot = 1;

  // Builds everything; the collector enables its capabilities first and is
  // attached to the memslots and vCPUs. Throws SkipError/UsageError/KvmError.
  GuestVm(const KvmSystem& kvm, const GuestConfig& config, Collector& collector);

  Vm& vm() { return vm_; }
  TestRegion& region() { return *region_; }
  const TestRegion& region() const { return *region_; }
  ds_shared* shared() { return ArchGuestImage::shared(system_.data()); }
  // The system slot (slot 0 at GPA 0: page tables, code, stacks, shared
  // pages), never dirty-logged.
  HostMemory& system_memory() { return system_; }
  ds_vcpu_params& params(uint32_t i) { return shared()->vcpu[i]; }
  // vCPU i's `writes`, read while it may run: an acquire load, pairing
  // with the guest's release store (DS_STORE_RELEASE), so every page store
  // the count covers is visible before the pages are read (arm64 needs
  // it; on x86 it is the plain load it always was).
  uint64_t writes(uint32_t i) { return __atomic_load_n(&shared()->vcpu[i].writes, __ATOMIC_ACQUIRE); }
  std::vector<std::unique_ptr<Vcpu>>& vcpus() { return vcpus_; }
  const GuestConfig& config() const { return config_; }

 private:
  // Puts vCPU `index` at the guest program's entry: registers, and on x86
  // CPUID and segments (lib/src/x86/guest_vcpu.cpp, lib/src/arm64/guest_vcpu.cpp).
  void init_vcpu_state(const KvmSystem& kvm, Vcpu& vcpu, uint32_t index);

  GuestConfig config_;
  Vm vm_;
  ArchGuestImage image_;
  HostMemory system_;
  std::unique_ptr<TestRegion> region_;
  std::vector<std::unique_ptr<Vcpu>> vcpus_;
};

}  // namespace dirtyscope
