// make_spp_stats_source and the range checks both SPP sources share.
#include "dirtyscope/stats/spp_stats.hpp"

#include <linux/dirtyscope.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "spp_sources.hpp"

namespace dirtyscope::stats {

namespace {
// x86-64 guest physical addresses have at most 52 bits (the module's limit).
constexpr std::uint64_t kGfnLimit = 1ULL << (52 - 12);
}  // namespace

std::vector<SppRange> spp_request_ranges(std::uint64_t gfn, std::uint64_t npages) {
  if (npages == 0) throw std::invalid_argument("SPP range of 0 pages");
  // Written so that gfn + npages cannot overflow before the check.
  if (gfn >= kGfnLimit || npages > kGfnLimit - gfn)
    throw std::invalid_argument("SPP range gfn " + std::to_string(gfn) + " + " + std::to_string(npages) +
                                " pages passes the 52-bit guest physical address space");
  std::vector<SppRange> out;
  for (std::uint64_t done = 0; done < npages;) {
    const auto n = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(npages - done, DIRTYSCOPE_SPP_MAX_PAGES));
    out.push_back({gfn + done, n});
    done += n;
  }
  return out;
}

std::unique_ptr<SppStatsSource> make_spp_stats_source(const std::string& which, pid_t pid, int vm_fd) {
  if (which == "kmod") return make_kmod_spp_source(pid, vm_fd);
  if (which == "bpf") return make_bpf_spp_source(pid);
  if (which == "auto")
    return kmod_else_bpf([&] { return make_kmod_spp_source(pid, vm_fd); }, [&] { return make_bpf_spp_source(pid); });
  throw std::invalid_argument("unknown SPP statistics source '" + which + "' (kmod, bpf, auto)");
}

}  // namespace dirtyscope::stats
