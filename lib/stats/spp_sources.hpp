// The SppStatsSource implementations behind make_spp_stats_source
// (spp_stats.cpp), and the pure pieces their unit tests check. Private to
// lib/stats.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "dirtyscope/stats/spp_stats.hpp"

struct nl_msg;

namespace dirtyscope::stats {

// dirtyscope.ko's SPP hooks (spp_stats_kmod.cpp; without libnl, kmod_stats_source_stub.cpp).
std::unique_ptr<SppStatsSource> make_kmod_spp_source(pid_t pid, int vm_fd);
// The BPF program on kvm:kvm_mmio (spp_stats_bpf.cpp; without BPF, bpf_stats_source_stub.cpp).
std::unique_ptr<SppStatsSource> make_bpf_spp_source(pid_t pid);

// A run of pages one SPP_SET request (or one pass over the BPF map) covers.
struct SppRange {
  std::uint64_t gfn = 0;
  std::uint32_t npages = 0;
  bool operator==(const SppRange&) const = default;
};

// Checks [gfn, gfn + npages) as the module does (npages > 0, inside the
// 52-bit guest physical address space: std::invalid_argument otherwise)
// and splits it into requests of at most DIRTYSCOPE_SPP_MAX_PAGES pages,
// the most one SPP_SET may name.
std::vector<SppRange> spp_request_ranges(std::uint64_t gfn, std::uint64_t npages);

// Appends SPP_SET's attributes for VM `vm_id` to `msg` (after its genetlink
// header). Throws std::runtime_error if they do not fit.
void put_spp_set(nl_msg* msg, std::uint64_t vm_id, const SppRange& range, std::uint32_t vector);

}  // namespace dirtyscope::stats
