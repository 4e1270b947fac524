// The statistics tests' guests: one VM whose vCPU 0 runs real-mode code
// the test wrote itself, so every store it makes, and so every count a
// source must report, is known exactly. MiniGuest writes one byte to each
// of N consecutive pages of a dirty-logged memslot and halts; the SPP
// test's guest stores into read-only pages. Built from the library's
// owners (KvmSystem, Vm, Vcpu, DirtyRing, Mapping), so every ioctl goes
// through the checked wrapper and every fd and mapping has one owner.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dirtyscope/dirty_ring.hpp"
#include "dirtyscope/kvm_system.hpp"
#include "dirtyscope/mapping.hpp"
#include "dirtyscope/mode_runner.hpp"
#include "dirtyscope/vcpu.hpp"
#include "dirtyscope/vm.hpp"

namespace dirtyscope::stats::testing {

struct GuestOptions {
  int vcpus = 1;                 // all created; only vCPU 0 runs the guest
  std::uint32_t pages = 64;      // pages written (max 240: real mode, 1 MiB)
  std::uint32_t ring_bytes = 0;  // dirty ring size per vCPU; 0 = bitmap logging
  bool manual_protect = false;   // KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (bitmap mode)
  bool readonly_mem = false;     // KVM_CAP_READONLY_MEM (the SPP test's guest, not MiniGuest)
};

// Why a workload cannot run here; empty when it can. Tests skip on it.
std::string kvm_problem(const GuestOptions& opt);

// A real-mode guest: `code` in slot 0 (64 KiB at GPA 0), entered at CS:IP
// 0:0x1000 on vCPU 0; `data_pages` of anonymous memory as slot 1 at GPA
// 0x10000 with `data_flags`; opt.vcpus vCPUs. The ring and manual-protect
// capabilities of `opt` are enabled before any slot or vCPU exists.
class RealModeGuest {
 public:
  static constexpr std::uint64_t kDataGpa = 0x10000;
  static constexpr std::uint32_t kDataSlot = 1;

  RealModeGuest(const GuestOptions& opt, const std::vector<std::uint8_t>& code, std::uint64_t data_pages,
                std::uint32_t data_flags);
  // The Vm points at kvm_: the guest stays where it was built.
  RealModeGuest(const RealModeGuest&) = delete;
  RealModeGuest& operator=(const RealModeGuest&) = delete;

  int vm_fd() const { return vm_.fd(); }
  int vcpu_fd(int i) const { return vcpus_.at(static_cast<std::size_t>(i))->fd(); }

 protected:
  // Runs vCPU 0 until HLT, entering again after a stray signal; every
  // other exit goes to `on_exit`, which throws for one it does not expect.
  void run_to_halt(const std::function<void(const kvm_run&)>& on_exit);

  GuestOptions opt_;
  KvmSystem kvm_;
  Vm vm_;
  Mapping code_;
  Mapping data_;
  std::vector<std::unique_ptr<Vcpu>> vcpus_;
};

class MiniGuest : public RealModeGuest {
 public:
  explicit MiniGuest(const GuestOptions& opt);

  // Runs vCPU 0 until HLT. Dirty-ring-full exits are handled by harvesting
  // every ring and resetting, as a VMM would; each is counted. Running
  // again after the halt executes only another HLT (no memory writes).
  void run();
  std::uint64_t ring_full_exits() const { return ring_full_exits_; }

  // One round of a ring VMM: run(), harvest vCPU 0's ring (the one that ran), reset.
  void run_and_collect() {
    run();
    harvest(0);
    reset_rings();
  }
  // Collects (and marks for reset) every dirty entry of vCPU i's ring.
  std::uint64_t harvest(int i);
  // KVM_RESET_DIRTY_RINGS; returns the kernel's count of reset entries.
  std::uint64_t reset_rings();
  // Bitmap mode: KVM_GET_DIRTY_LOG of the data slot, number of dirty bits.
  std::uint64_t get_dirty_log();
  // Bitmap mode with manual protect: KVM_CLEAR_DIRTY_LOG of the whole slot.
  void clear_dirty_log();

  std::uint64_t harvested_total() const { return harvested_total_; }
  std::uint64_t reset_calls() const { return vm_.dirty_ioctl_counts().reset_dirty_rings; }
  // What the workload did, as a mode run reports it: what compare_stats
  // (dirtyscope/stats/stats_agreement.hpp) holds a statistics source to.
  ModeResult result() const;

 private:
  std::uint32_t ring_entries() const { return static_cast<std::uint32_t>(opt_.ring_bytes / sizeof(kvm_dirty_gfn)); }

  std::vector<std::unique_ptr<DirtyRing>> rings_;  // one per vCPU in ring mode
  std::vector<std::uint64_t> bitmap_;
  std::uint64_t ring_full_exits_ = 0;
  std::uint64_t harvested_total_ = 0;
};

}  // namespace dirtyscope::stats::testing
