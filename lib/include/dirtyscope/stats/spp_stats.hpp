// SppStatsSource: an independent count of the sub-page write protection
// (SPP) decisions for one VM, to check userspace's own (SppModel, spp_test)
// against. The rule, the same everywhere: a guest write to a registered
// page covering 128-byte sub-pages first..last is allowed iff all their
// bits are set in the page's 32-bit vector (<linux/dirtyscope.h>).
//
//   auto src = make_spp_stats_source("auto", getpid(), vm_fd);
//   src->set_vectors(gfn, 2, 0x0000ffff);   // as SppModel::set_vectors
//   run_guest();                            // writes exit as KVM_EXIT_MMIO
//   SppStatsCounts c = src->counts();       // == userspace's decisions
//
// Two sources, one per way of watching kvm:kvm_mmio writes:
//   "kmod"  dirtyscope.ko's SPP hooks over generic netlink (SPP_SET,
//           GET_STATS' VM totals). Per VM. The module learns of a VM at its
//           first traced event (a vCPU's first exit): set_vectors() before
//           that throws std::runtime_error saying so.
//   "bpf"   a BPF program on kvm:kvm_mmio with its own gfn -> vector map.
//           Needs no module and sees the VM at once, but the tracepoint
//           names no VM: it counts writes by any vCPU thread of `pid` to
//           the registered gfns (one VM per process, as the tests run).
//           events_dropped is always 0 (it sends no events).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "dirtyscope/stats/stats_source.hpp"

namespace dirtyscope::stats {

struct SppStatsCounts {
  std::uint64_t allowed = 0, denied = 0, events_dropped = 0;
  bool operator==(const SppStatsCounts&) const = default;
};

class SppStatsSource {
 public:
  virtual ~SppStatsSource() = default;
  virtual const char* name() const = 0;  // "kmod" or "bpf"
  // Mirrors SppModel::set_vectors for this process's VM `vm_fd`: register
  // (or, with 0xffffffff, unregister) [gfn, gfn+npages) with that vector.
  // std::invalid_argument for npages 0 or a range past the 52-bit guest
  // physical address space; StatsUnavailable without the permission.
  virtual void set_vectors(std::uint64_t gfn, std::uint64_t npages, std::uint32_t vector) = 0;
  // Allowed/denied protected writes the source counted since it was made.
  virtual SppStatsCounts counts() = 0;
};

// which: "kmod", "bpf" or "auto" (kmod when the module is loaded, else bpf).
// Throws StatsUnavailable (the existing exception) with a one-line reason,
// std::invalid_argument for another name.
std::unique_ptr<SppStatsSource> make_spp_stats_source(const std::string& which, pid_t pid, int vm_fd);

}  // namespace dirtyscope::stats
