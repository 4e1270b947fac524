#include "dirtyscope/spp_model.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "dirtyscope/error.hpp"
#include "dirtyscope/page.hpp"
#include "dirtyscope/hex.hpp"
#include "dirtyscope/vcpu_exit.hpp"

namespace dirtyscope {

SppModel::SppModel(Vm& vm, TestRegion& region, uint32_t first_free_slot, SppInjection injection)
    : vm_(vm), region_(region), injection_(injection), next_id_(first_free_slot) {
  if (vm.check_extension(KVM_CAP_READONLY_MEM) <= 0)
    throw SkipError("KVM_CAP_READONLY_MEM not supported (SPP maps protected pages read-only)");
  const int limit = vm.check_extension(KVM_CAP_NR_MEMSLOTS);
  // api.rst: without the capability, assume 32 slots.
  memslot_limit_ = limit > 0 ? static_cast<uint32_t>(limit) : 32;
  for (const auto& s : region.slots()) {
    const MemslotDesc* desc = vm.find_slot(s.slot);
    if (!desc) throw std::logic_error("SppModel: region slot " + std::to_string(s.slot) + " is not registered");
    const uint64_t gfn = s.gpa / kPageSize;
    bases_.push_back({gfn, s.pages, s.host, desc->flags, {{gfn, Piece{s.slot, gfn, s.pages, false}}}});
  }
}

void SppModel::set_vectors(uint64_t gfn, uint64_t npages, uint32_t vector) {
  const uint64_t first = region_.gpa() / kPageSize, end = first + region_.pages();
  if (npages == 0 || gfn < first || gfn >= end || npages > end - gfn)
    throw UsageError("SPP: gfns " + hex(gfn) + "+" + std::to_string(npages) + " are not inside the test region " +
                     hex(first) + ".." + hex(end - 1));
  std::lock_guard lock(mutex_);
  if (observer_) observer_(gfn, npages, vector);
  vectors_.set(gfn, npages, vector);
  if (injection_ == SppInjection::WrongVectorBit && !injected_page_ && vector != kSppFullAccess)
    injected_page_ = gfn;
  for (auto& base : bases_)
    if (base.gfn < gfn + npages && gfn < base.gfn + base.pages) relayout_locked(base, gfn, npages);
  publish_layout_locked();
}

void SppModel::publish_layout_locked() {
  std::vector<RegionSlot> slots;
  const uint64_t first_gfn = region_.gpa() / kPageSize;
  for (const auto& base : bases_)
    for (const auto& [first, p] : base.pieces)
      slots.push_back({p.id, p.gfn * kPageSize, p.gfn - first_gfn, p.pages, base.host + (p.gfn - base.gfn) * kPageSize});
  region_.replace_slots(std::move(slots));
}

std::vector<uint64_t> SppModel::take_applied_gfns() {
  std::lock_guard lock(mutex_);
  if (injection_ == SppInjection::ForgetAppliedPage && !injection_fired_ && !applied_gfns_.empty()) {
    injection_fired_ = true;
    applied_gfns_.erase(applied_gfns_.begin());
  }
  std::vector<uint64_t> out(applied_gfns_.begin(), applied_gfns_.end());
  applied_gfns_.clear();
  return out;
}

void SppModel::observe_vectors(VectorObserver observer) {
  std::lock_guard lock(mutex_);
  observer_ = std::move(observer);
}

std::vector<uint32_t> SppModel::get_vectors(uint64_t gfn, uint64_t npages) const {
  std::lock_guard lock(mutex_);
  return vectors_.get(gfn, npages);
}

uint32_t SppModel::take_slot_id_locked() {
  if (!free_ids_.empty()) {
    const uint32_t id = free_ids_.back();
    free_ids_.pop_back();
    return id;
  }
  return next_id_++;
}

void SppModel::relayout_locked(Base& base, uint64_t gfn, uint64_t npages) {
  // The pieces holding the changed pages and one page either side: a
  // neighbour may merge with them.
  const uint64_t base_end = base.gfn + base.pages;
  const uint64_t lo_gfn = std::max(gfn, base.gfn + 1) - 1, hi_gfn = std::min(gfn + npages, base_end - 1);
  auto containing = [&](uint64_t g) { return std::prev(base.pieces.upper_bound(g)); };
  const auto first = containing(lo_gfn), last = std::next(containing(hi_gfn));
  const uint64_t span_gfn = first->first;
  const uint64_t span_end = std::prev(last)->second.gfn + std::prev(last)->second.pages;

  std::map<uint64_t, Piece> gone(first, last);
  std::vector<Piece> next;
  for (const SppRun& run : vectors_.runs(span_gfn, span_end - span_gfn)) {
    Piece piece{0, run.gfn, run.pages, run.protected_};
    // A piece that is already mapped exactly so keeps its slot: no gap.
    auto same = gone.find(run.gfn);
    if (same != gone.end() && same->second.pages == piece.pages && same->second.readonly == piece.readonly) {
      piece.id = same->second.id;
      gone.erase(same);
    }
    next.push_back(piece);
  }
  const auto to_create = static_cast<uint64_t>(std::count_if(next.begin(), next.end(), [](const Piece& p) { return p.id == 0; }));
  const uint64_t available = free_ids_.size() + gone.size() + (memslot_limit_ > next_id_ ? memslot_limit_ - next_id_ : 0);
  if (to_create > available)
    throw std::runtime_error("SPP: this protection needs " + std::to_string(to_create) + " more memslots than the " +
                             std::to_string(memslot_limit_) + " KVM_CAP_NR_MEMSLOTS allows (each run of protected "
                             "pages and each gap between runs is one memslot)");
  // Delete first: KVM refuses overlapping slots. Accesses in between exit
  // as MMIO and handle_mmio serves them.
  for (const auto& [g, p] : gone) {
    vm_.delete_memslot(p.id);
    free_ids_.push_back(p.id);
    base.pieces.erase(g);
    ++counts_.memslot_changes;
  }
  for (Piece& p : next) {
    if (p.id != 0) continue;
    p.id = take_slot_id_locked();
    const uint32_t flags = base.flags | (p.readonly ? uint32_t{KVM_MEM_READONLY} : 0u);
    vm_.set_memslot({p.id, p.gfn * kPageSize, p.pages * kPageSize, base.host + (p.gfn - base.gfn) * kPageSize, flags});
    base.pieces[p.gfn] = p;
    ++counts_.memslot_changes;
  }
}

uint8_t* SppModel::host_of(uint64_t gpa) const { return region_.host() + (gpa - region_.gpa()); }

uint32_t SppModel::vector_locked(uint64_t gfn) {
  uint32_t vector = vectors_.get(gfn);
  if (injection_ == SppInjection::WrongVectorBit && injected_page_ == gfn) vector ^= 1u;  // sub-page 0
  return vector;
}

SppDecision SppModel::handle_mmio(uint32_t vcpu_index, Vcpu& vcpu) {
  kvm_run* run = vcpu.run_state();
  const uint64_t gpa = run->mmio.phys_addr;
  const uint32_t len = run->mmio.len;
  if (gpa < region_.gpa() || gpa - region_.gpa() >= region_.size() || len == 0 || len > 8) return {};
  const uint32_t offset = static_cast<uint32_t>(gpa % kPageSize);
  if (offset + len > kPageSize)
    throw std::runtime_error("KVM_EXIT_MMIO of " + std::to_string(len) + " bytes at " + hex(gpa) +
                             " crosses a page; KVM splits MMIO at page boundaries");
  uint8_t* host = host_of(gpa);
  SppDecision d{SppAccess::Read, gpa, len, 0};
  std::lock_guard lock(mutex_);
  if (!run->mmio.is_write) {
    std::memcpy(run->mmio.data, host, len);
    ++counts_.reads;
    return d;
  }
  std::memcpy(&d.value, run->mmio.data, len);
  const uint64_t gfn = gpa / kPageSize;
  if (!vectors_.is_protected(gfn)) {
    std::memcpy(host, run->mmio.data, len);
    applied_gfns_.insert(gfn);
    ++counts_.unprotected;
    d.access = SppAccess::Unprotected;
    return d;
  }
  const std::optional<uint32_t> denied = spp_denied_subpage(vector_locked(gfn), offset, len);
  // The flipped bit changed a decision: only then can a check notice it.
  if (injection_ == SppInjection::WrongVectorBit && denied != spp_denied_subpage(vectors_.get(gfn), offset, len))
    injection_fired_ = true;
  if (!denied) {
    d.access = SppAccess::Allowed;
    ++counts_.allowed;
    if (injection_ == SppInjection::SkipAllowedWrite && !injection_fired_) {
      injection_fired_ = true;
    } else {
      std::memcpy(host, run->mmio.data, len);
      applied_gfns_.insert(gfn);
    }
    return d;
  }
  d.access = SppAccess::Denied;
  if (injection_ == SppInjection::DropViolation && !injection_fired_) {
    injection_fired_ = true;
    return d;
  }
  ++counts_.denied;
  violations_.push_back({gpa, *denied, len, d.value, vcpu_index, guest_program_counter(vcpu)});
  return d;
}

std::vector<SppViolation> SppModel::violations() const {
  std::lock_guard lock(mutex_);
  return violations_;
}

SppCounts SppModel::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

size_t SppModel::memslots_in_use() const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& b : bases_) n += b.pieces.size();
  return n;
}

bool SppModel::injection_fired() const {
  std::lock_guard lock(mutex_);
  return injection_fired_;
}

}  // namespace dirtyscope
