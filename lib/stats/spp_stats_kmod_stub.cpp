// Built instead of spp_stats_kmod.cpp without libnl-genl, like
// kmod_stats_source_stub.cpp: the source is a clean "unavailable".
#include <stdexcept>

#include "spp_sources.hpp"

namespace dirtyscope::stats {

std::unique_ptr<SppStatsSource> make_kmod_spp_source(pid_t, int) {
  throw StatsUnavailable(
      "dirtyscope was built without libnl-genl (install libnl-3-dev libnl-genl-3-dev: "
      "scripts/install-deps.sh netlink) and rebuild");
}

void put_spp_set(nl_msg*, std::uint64_t, const SppRange&, std::uint32_t) {
  throw std::logic_error("put_spp_set without libnl");
}

}  // namespace dirtyscope::stats
