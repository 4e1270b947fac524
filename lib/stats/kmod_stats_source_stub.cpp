// Built instead of the kmod sources (kmod_stats_source.cpp and the rest,
// spp_stats_kmod.cpp) when libnl-genl was missing at configure time: the
// sources stay, and using one is a clean "unavailable" (exit 4 / test
// skip) rather than a build failure.
#include "dirtyscope/stats/kmod_stats_source.hpp"
#include "spp_sources.hpp"

namespace dirtyscope::stats {
namespace {

[[noreturn]] void no_libnl() {
  throw StatsUnavailable(
      "dirtyscope was built without libnl-genl (install libnl-3-dev libnl-genl-3-dev: "
      "scripts/install-deps.sh netlink) and rebuild");
}

}  // namespace

struct KmodStatsSource::Impl {};
struct KmodEventSubscriber::Impl {};

KmodStatsSource::KmodStatsSource(KmodOptions) { no_libnl(); }
KmodStatsSource::~KmodStatsSource() = default;
KmodStatsSource::KmodStatsSource(KmodStatsSource&&) noexcept = default;
KmodStatsSource& KmodStatsSource::operator=(KmodStatsSource&&) noexcept = default;
DirtyStats KmodStatsSource::snapshot() { return {}; }
std::vector<KmodVm> KmodStatsSource::vms() { return {}; }
void KmodStatsSource::reset(pid_t) { no_libnl(); }
void kmod_reset_stats(pid_t) { no_libnl(); }

KmodEventSubscriber::KmodEventSubscriber() { no_libnl(); }
KmodEventSubscriber::~KmodEventSubscriber() = default;
KmodEventSubscriber::KmodEventSubscriber(KmodEventSubscriber&&) noexcept = default;
KmodEventSubscriber& KmodEventSubscriber::operator=(KmodEventSubscriber&&) noexcept = default;
std::vector<KmodEvent> KmodEventSubscriber::poll(int) { return {}; }

std::unique_ptr<SppStatsSource> make_kmod_spp_source(pid_t, int) { no_libnl(); }

}  // namespace dirtyscope::stats
