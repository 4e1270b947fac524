// Owner of a KVM VM fd and the memslots registered on it.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

#include "dirtyscope/kvm_system.hpp"
#include "dirtyscope/unique_fd.hpp"

namespace dirtyscope {

// How many dirty-log ioctls this VM issued: what BPF or the module must
// have seen (one latency sample per call).
struct DirtyIoctlCounts {
  uint64_t get_dirty_log = 0;
  uint64_t clear_dirty_log = 0;
  uint64_t reset_dirty_rings = 0;
};

// One completed KVM_RESET_DIRTY_RINGS: what the last call reported, and
// how many calls before it a signal cut short (-1/EINTR). An interrupted
// call's count is lost, so after one `entries` covers only the remainder.
struct RingReset {
  uint32_t entries = 0;
  uint32_t interrupted = 0;
};

struct MemslotDesc {
  uint32_t slot;
  uint64_t gpa;
  uint64_t size;
  uint8_t* host;  // not owned: HostMemory outlives the VM's use of it
  uint32_t flags;
  uint64_t pages() const { return size / 4096; }
};

class Vm {
 public:
  explicit Vm(const KvmSystem& kvm);

  int fd() const { return fd_.get(); }
  const KvmSystem& system() const { return *kvm_; }

  // KVM_CHECK_EXTENSION on the VM fd (per-VM answers): 0 when unsupported;
  // throws KvmError when the call itself fails.
  int check_extension(long cap) const;
#if defined(__aarch64__)
  // KVM_ARM_PREFERRED_TARGET: the target (and no features) every vCPU of
  // this VM is initialised with.
  kvm_vcpu_init preferred_target() const;
#endif
  void enable_cap(uint32_t cap, uint64_t arg0);
  void set_memslot(const MemslotDesc& slot);
  // KVM_SET_USER_MEMORY_REGION with size 0: the slot is gone, its id free.
  void delete_memslot(uint32_t slot);
  // Flips KVM_MEM_LOG_DIRTY_PAGES on an existing slot.
  void set_dirty_logging(uint32_t slot, bool on);
  const MemslotDesc* find_slot(uint32_t slot) const;

  // KVM_GET_DIRTY_LOG into `bitmap` (one bit per page, 64-bit words).
  void get_dirty_log(uint32_t slot, uint64_t* bitmap);
  // KVM_CLEAR_DIRTY_LOG; first_page and num_pages as the ioctl requires
  // (multiples of 64 unless the range reaches the slot's end).
  void clear_dirty_log(uint32_t slot, uint64_t first_page, uint32_t num_pages, uint64_t* bitmap);
  // KVM_RESET_DIRTY_RINGS, issued again while a signal interrupts it (a
  // correct kernel returns EINTR having reset only part of the harvest).
  RingReset reset_dirty_rings();
  // Interrupted calls in a row after which reset_dirty_rings() gives up.
  static constexpr uint32_t kMaxResetInterruptions = 1000000;
  const DirtyIoctlCounts& dirty_ioctl_counts() const { return counts_; }

 private:
  const KvmSystem* kvm_;
  UniqueFd fd_;
  std::vector<MemslotDesc> slots_;
  DirtyIoctlCounts counts_;
};

}  // namespace dirtyscope
