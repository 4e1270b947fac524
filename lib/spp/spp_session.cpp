#include "dirtyscope/spp/spp_session.hpp"

#include <cstring>

#include "dirtyscope/page.hpp"

namespace dirtyscope {

namespace {
// A round where every store of every vCPU exits takes a few seconds
// under nested TCG; this only bounds a wedged guest.
constexpr std::chrono::seconds kRoundLimit{300};

std::unique_ptr<Collector> collector_for(const std::string& mode, uint64_t seed) {
  if (mode.empty()) return std::make_unique<NoLogCollector>();
  return make_collector(mode, Injection::None, 0, seed);
}

// The region: by default one 2 MiB page, so protecting any page splits it.
GuestConfig spp_guest(const SppOptions& o) {
  return {.vcpus = o.vcpus, .test_size = o.region_size, .memslots = 1, .backing = o.backing, .cpl = o.cpl,
          .seed = o.seed, .program = GuestProgram::SppStores};
}
}  // namespace

SppSession::SppSession(const KvmSystem& kvm, const SppOptions& options, const std::string& mode)
    : options_(options),
      logging_(!mode.empty()),
      collector_(collector_for(mode, options.seed)),
      guest_(kvm, spp_guest(options), *collector_),
      model_(guest_.vm(), guest_.region(), GuestVm::kFirstTestSlot + 1, options.injection),
      exits_(options.vcpus) {
  for (uint32_t v = 0; v < options.vcpus; ++v) {
    ds_vcpu_params& p = guest_.params(v);
    p.region_gva = guard_gfn(v) * kPageSize;  // the test region is mapped at gva == gpa
    p.region_pages = options.pages_per_vcpu;
    seeds_.push_back(p.rng_state);  // the plan's seed: distinct per vCPU
  }
  engine_ = std::make_unique<RunEngine>(guest_, *collector_, kRoundLimit, VcpuPool::FirstRun::OnRunPass,
                                        [this](uint32_t index, Vcpu& vcpu) { return on_exit(index, vcpu); });
}

uint64_t SppSession::guard_gfn(uint32_t v) const {
  return guest_.config().test_gpa / kPageSize + uint64_t{v} * options_.pages_per_vcpu;
}

SppRoundPlan SppSession::plan(uint32_t v, uint64_t round, uint64_t stores) const {
  return {guard_gfn(v) * kPageSize, options_.pages_per_vcpu, seeds_[v], round, stores};
}

std::vector<uint8_t> SppSession::memory(uint32_t v) const {
  const uint64_t offset = (guard_gfn(v) - guest_.config().test_gpa / kPageSize) * kPageSize;
  const uint8_t* from = guest_.region().host() + offset;
  return std::vector<uint8_t>(from, from + options_.pages_per_vcpu * kPageSize);
}

uint64_t SppSession::stores_per_round() const {
  return options_.pages_per_vcpu * DS_SPP_PLAN_PER_PAGE + options_.random_stores;
}

uint64_t SppSession::first_gfn() const { return guest_.config().test_gpa / kPageSize; }

void SppSession::set_vectors(uint64_t gfn, uint64_t npages, uint32_t vector) {
  if (!logging_) {
    model_.set_vectors(gfn, npages, vector);
    return;
  }
  // Whatever the old slots logged is read now: deleting a slot drops it.
  DirtySet drained(guest_.region().pages());
  collector_->collect(drained, Phase::Paused);
  model_.set_vectors(gfn, npages, vector);
  collector_->relayout();
  collector_->collect(drained, Phase::Paused);
  model_.take_applied_gfns();  // from earlier rounds, judged (or not) there
}

DirtySet SppSession::collect_dirty() {
  DirtySet dirty(guest_.region().pages());
  collector_->collect(dirty, Phase::Paused);
  for (uint64_t gfn : model_.take_applied_gfns()) dirty.set(gfn - first_gfn());
  return dirty;
}

void SppSession::prepare_round(uint64_t round) {
  for (uint32_t v = 0; v < options_.vcpus; ++v) {
    exits_[v].clear();
    guest_.shared()->spp[v].round = round;
    guest_.shared()->spp[v].stores = stores_per_round();
    guest_.params(v).writes = 0;
  }
}

void SppSession::run_prepared_round() { engine_->run_pass(); }

void SppSession::keep_guest_running() { engine_->pool().keep_running(); }

uint64_t SppSession::read_sum(uint32_t v) { return guest_.shared()->spp[v].read_sum; }

uint64_t SppSession::writes(uint32_t v) { return guest_.writes(v); }

bool SppSession::on_exit(uint32_t index, Vcpu& vcpu) {
  if (vcpu.run_state()->exit_reason != KVM_EXIT_MMIO) return false;
  const uint64_t store = guest_.writes(index);
  const kvm_run* run = vcpu.run_state();
  const TestRegion& region = guest_.region();
  const uint64_t gpa = run->mmio.phys_addr;
  const bool in_region = gpa >= region.gpa() && gpa - region.gpa() < region.size() && run->mmio.len <= 8 &&
                         gpa - region.gpa() + run->mmio.len <= region.size();
  uint8_t before[8] = {};
  // Each vCPU stores only to its own pages, so nothing else changes these
  // bytes while this vCPU is stopped here.
  if (in_region) std::memcpy(before, region.host() + (gpa - region.gpa()), run->mmio.len);
  const SppDecision d = model_.handle_mmio(index, vcpu);
  if (d.access == SppAccess::NotOurs) return false;
  const uint8_t* now = region.host() + (d.gpa - region.gpa());
  bool agrees = true;
  if (d.access == SppAccess::Denied) agrees = std::memcmp(now, before, d.len) == 0;
  else if (d.access != SppAccess::Read) agrees = std::memcmp(now, &d.value, d.len) == 0;  // x86: little-endian
  exits_[index].push_back({store, d, agrees});
  return true;
}

}  // namespace dirtyscope
