// A deliberately tiny KVM workload for the statistics tests: one VM, a
// real-mode guest that writes one byte to each of N consecutive pages of a
// dirty-logged memslot and halts. Its counts are known exactly, which is
// what the BPF agreement tests need. Self-contained so the stats tests do
// not depend on the evolving lib/ VM classes; swap for them once stable.
#pragma once

#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dirtyscope::stats::testing {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

class Mapping {
 public:
  Mapping() = default;
  Mapping(void* p, std::size_t len) : p_(p), len_(len) {}
  ~Mapping();
  Mapping(Mapping&& o) noexcept;
  Mapping& operator=(Mapping&& o) noexcept;
  void* get() const { return p_; }

 private:
  void* p_ = nullptr;
  std::size_t len_ = 0;
};

struct GuestOptions {
  int vcpus = 1;                 // all created; only vCPU 0 runs the guest
  std::uint32_t pages = 64;      // pages written (max 240: real mode, 1 MiB)
  std::uint32_t ring_bytes = 0;  // dirty ring size per vCPU; 0 = bitmap logging
  bool manual_protect = false;   // KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (bitmap mode)
};

// Why a workload cannot run here; empty when it can. Tests skip on it.
std::string kvm_problem(const GuestOptions& opt);

class MiniGuest {
 public:
  static constexpr std::uint32_t kDataSlot = 1;

  explicit MiniGuest(const GuestOptions& opt);

  int vm_fd() const { return vm_.get(); }
  int vcpu_fd(int i) const { return vcpus_.at(static_cast<std::size_t>(i)).fd.get(); }

  // Runs vCPU 0 until HLT. Dirty-ring-full exits are handled by harvesting
  // every ring and resetting, as a VMM would; each is counted. Running
  // again after the halt executes only another HLT (no memory writes).
  void run();
  std::uint64_t ring_full_exits() const { return ring_full_exits_; }

  // Collects (and marks for reset) every dirty entry of vCPU i's ring.
  std::uint64_t harvest(int i);
  // KVM_RESET_DIRTY_RINGS; returns the kernel's count of reset entries.
  std::uint64_t reset_rings();
  // Bitmap mode: KVM_GET_DIRTY_LOG of the data slot, number of dirty bits.
  std::uint64_t get_dirty_log();
  // Bitmap mode with manual protect: KVM_CLEAR_DIRTY_LOG of the whole slot.
  void clear_dirty_log();

  std::uint64_t harvested_total() const { return harvested_total_; }
  std::uint64_t reset_calls() const { return reset_calls_; }

 private:
  struct Vcpu {
    Fd fd;
    Mapping run;
    Mapping ring;
    std::uint32_t fetch = 0;  // next ring slot to look at
  };

  GuestOptions opt_;
  Fd kvm_;
  Fd vm_;
  Mapping code_;
  Mapping data_;
  std::vector<Vcpu> vcpus_;
  std::vector<std::uint64_t> bitmap_;
  std::uint64_t ring_full_exits_ = 0;
  std::uint64_t harvested_total_ = 0;
  std::uint64_t reset_calls_ = 0;
};

}  // namespace dirtyscope::stats::testing
