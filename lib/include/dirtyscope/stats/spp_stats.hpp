// SppStatsSource: an independent count of the sub-page write protection
// (SPP) decisions for one VM, to check userspace's own (SppModel, spp_test)
// against: a write to sub-pages first..last of a registered page is allowed
// iff all their bits are set in its 32-bit vector. The two sources and
// their limits: docs/statistics-and-alarm.md, "SPP counts".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "dirtyscope/stats/stats_source.hpp"

namespace dirtyscope::stats {

// The same three numbers a VM's DirtyStats carries (VmStats::spp).
using SppStatsCounts = SppCounters;

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
