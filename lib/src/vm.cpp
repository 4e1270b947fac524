#include "dirtyscope/vm.hpp"

#include <algorithm>
#include <cerrno>

#include "dirtyscope/error.hpp"
#include "dirtyscope/ioctl.hpp"

namespace dirtyscope {

Vm::Vm(const KvmSystem& kvm)
    : kvm_(&kvm), fd_(static_cast<int>(kvm_ioctl(kvm.fd(), KVM_CREATE_VM, 0UL))) {}

int Vm::check_extension(long cap) const { return dirtyscope::check_extension(fd(), cap); }

#if defined(__aarch64__)
kvm_vcpu_init Vm::preferred_target() const {
  kvm_vcpu_init init{};
  kvm_ioctl(fd(), KVM_ARM_PREFERRED_TARGET, &init);
  return init;
}
#endif

void Vm::enable_cap(uint32_t cap, uint64_t arg0) {
  kvm_enable_cap ec{.cap = cap, .args = {arg0}};
  kvm_ioctl(fd(), KVM_ENABLE_CAP, &ec);
}

void Vm::set_memslot(const MemslotDesc& slot) {
  kvm_userspace_memory_region region{.slot = slot.slot, .flags = slot.flags, .guest_phys_addr = slot.gpa,
                                     .memory_size = slot.size, .userspace_addr = reinterpret_cast<uint64_t>(slot.host)};
  kvm_ioctl(fd(), KVM_SET_USER_MEMORY_REGION, &region);
  auto it = std::find_if(slots_.begin(), slots_.end(),
                         [&](const MemslotDesc& s) { return s.slot == slot.slot; });
  if (it != slots_.end()) *it = slot;
  else slots_.push_back(slot);
}

void Vm::delete_memslot(uint32_t slot) {
  kvm_userspace_memory_region region{.slot = slot};
  kvm_ioctl(fd(), KVM_SET_USER_MEMORY_REGION, &region);
  std::erase_if(slots_, [&](const MemslotDesc& s) { return s.slot == slot; });
}

void Vm::set_dirty_logging(uint32_t slot, bool on) {
  const MemslotDesc* s = find_slot(slot);
  if (!s) throw KvmError("KVM_SET_USER_MEMORY_REGION", ENOENT, "no such slot in this VM");
  MemslotDesc updated = *s;
  updated.flags = on ? (updated.flags | KVM_MEM_LOG_DIRTY_PAGES)
                     : (updated.flags & ~uint32_t{KVM_MEM_LOG_DIRTY_PAGES});
  set_memslot(updated);
}

const MemslotDesc* Vm::find_slot(uint32_t slot) const {
  for (const auto& s : slots_)
    if (s.slot == slot) return &s;
  return nullptr;
}

void Vm::get_dirty_log(uint32_t slot, uint64_t* bitmap) {
  kvm_dirty_log log{.slot = slot, .dirty_bitmap = bitmap};
  ++counts_.get_dirty_log;
  kvm_ioctl(fd(), KVM_GET_DIRTY_LOG, &log);
}

void Vm::clear_dirty_log(uint32_t slot, uint64_t first_page, uint32_t num_pages,
                         uint64_t* bitmap) {
  kvm_clear_dirty_log clear{.slot = slot, .num_pages = num_pages, .first_page = first_page, .dirty_bitmap = bitmap};
  ++counts_.clear_dirty_log;
  kvm_ioctl(fd(), KVM_CLEAR_DIRTY_LOG, &clear);
}

RingReset Vm::reset_dirty_rings() {
  RingReset out;
  for (;;) {
    ++counts_.reset_dirty_rings;
    const long r = kvm_ioctl_raw(fd(), KVM_RESET_DIRTY_RINGS, nullptr);
    if (r >= 0) {
      out.entries = static_cast<uint32_t>(r);
      return out;
    }
    if (r != -EINTR) throw KvmError("KVM_RESET_DIRTY_RINGS", static_cast<int>(-r));
    // The kernel checks for signals before its first entry too, so a
    // signal always pending would keep every call from progressing.
    if (++out.interrupted == kMaxResetInterruptions)
      throw KvmError("KVM_RESET_DIRTY_RINGS", EINTR,
                     std::to_string(out.interrupted) + " calls in a row interrupted by signals, none completed");
  }
}

}  // namespace dirtyscope
