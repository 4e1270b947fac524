// A ready-to-run VM for the dirty-tracking workload: system slot with the
// x86-64 guest image, test region split into memslots, vCPUs in long mode.
#pragma once

#include <memory>
#include <vector>

#include "dirtyscope/collector.hpp"
#include "dirtyscope/host_memory.hpp"
#include "dirtyscope/kvm_system.hpp"
#include "dirtyscope/test_region.hpp"
#include "dirtyscope/vcpu.hpp"
#include "dirtyscope/vm.hpp"
#include "dirtyscope/x86/guest_image.hpp"

namespace dirtyscope {

struct GuestConfig {
  uint32_t vcpus = 1;
  uint64_t test_size = 1ULL << 30;
  uint64_t test_gpa = 4ULL << 30;
  uint32_t memslots = 1;
  Backing backing = Backing::Anonymous;
  x86::GuestCpl cpl = x86::GuestCpl::User;
  uint64_t seed = 1;
  x86::GuestProgram program = x86::GuestProgram::RandomWrites;
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
  ds_shared* shared() { return x86::GuestImage::shared(system_.data()); }
  // The system slot (slot 0 at GPA 0: page tables, code, stacks, shared
  // pages), never dirty-logged.
  HostMemory& system_memory() { return system_; }
  ds_vcpu_params& params(uint32_t i) { return shared()->vcpu[i]; }
  std::vector<std::unique_ptr<Vcpu>>& vcpus() { return vcpus_; }
  const GuestConfig& config() const { return config_; }

 private:
  GuestConfig config_;
  Vm vm_;
  x86::GuestImage image_;
  HostMemory system_;
  std::unique_ptr<TestRegion> region_;
  std::vector<std::unique_ptr<Vcpu>> vcpus_;
};

}  // namespace dirtyscope
