#include "dirtyscope/guest_vm.hpp"

#include "dirtyscope/error.hpp"
#include "dirtyscope/page.hpp"
#include "spp_plan.h"

namespace dirtyscope {

uint64_t vcpu_rng_seed(uint64_t run_seed, uint32_t index) {
  const uint64_t z = ds_mix64(run_seed + (uint64_t{index} + 1) * 0x9e3779b97f4a7c15ULL);
  return z ? z : 1;
}

GuestVm::GuestVm(const KvmSystem& kvm, const GuestConfig& config, Collector& collector)
    : config_(config),
      vm_(kvm),
      image_(config.test_gpa, config.test_size),
      system_(HostMemory::allocate(Backing::Anonymous, image_.system_size())) {
  if (config.vcpus == 0 || config.vcpus > DS_MAX_VCPUS)
    throw UsageError("vCPUs " + std::to_string(config.vcpus) + " out of range 1.." +
                     std::to_string(DS_MAX_VCPUS));
  collector.prepare_vm(vm_);

  image_.write_system(system_.data());
  vm_.set_memslot({kSystemSlot, 0, system_.size(), system_.data(), 0});

  region_ = std::make_unique<TestRegion>(HostMemory::allocate(config.backing, config.test_size),
                                         config.test_gpa, config.memslots, kFirstTestSlot,
                                         backing_alignment(config.backing) / kPageSize);
  const uint32_t flags = config.log_dirty_from_start
                             ? collector.memslot_flags()
                             : collector.memslot_flags() & ~uint32_t{KVM_MEM_LOG_DIRTY_PAGES};
  for (const auto& s : region_->slots())
    vm_.set_memslot({s.slot, s.gpa, s.pages * kPageSize, s.host, flags});
  collector.attach(vm_, *region_);

  for (uint32_t i = 0; i < config.vcpus; ++i) {
    ds_vcpu_params& p = params(i);
    p.region_gva = config.test_gpa;
    p.region_pages = region_->pages();
    p.rng_state = vcpu_rng_seed(config.seed, i);
    p.pause_request = 1;  // every vCPU reports in before iteration 1
    p.cpl = static_cast<uint32_t>(guest_cpl_number(config.cpl));
    p.writer_tag = i + 1;
    auto vcpu = std::make_unique<Vcpu>(vm_, i);
    init_vcpu_state(kvm, *vcpu, i);
    collector.attach_vcpu(*vcpu);
    vcpus_.push_back(std::move(vcpu));
  }
}

}  // namespace dirtyscope
