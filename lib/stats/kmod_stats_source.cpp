// KmodStatsSource: a libnl-genl client of dirtyscope.ko's generic netlink
// family that maps the module's per-VM, per-vCPU counters onto DirtyStats
// (parsing: kmod_wire.cpp; arithmetic: kmod_counters.cpp; the read rule:
// kmod_visibility.cpp; the events group: kmod_events.cpp).
#include "dirtyscope/stats/kmod_stats_source.hpp"

#include <optional>
#include <utility>
#include <vector>

#include "kmod_genl.hpp"

namespace dirtyscope::stats {

// The libnl plumbing shared with the SPP counts source.
using namespace kmod;

struct KmodStatsSource::Impl {
  KmodOptions options;
  Connected conn;
  KmodBaseline base;  // VMs by id (never reused while loaded), module-wide

  std::vector<KmodVm> all() {
    std::vector<KmodVm> out;
    for (const KmodVm& listed : list_vms(conn)) {
      if (options.pid && process_of_thread(listed.pid) != options.pid) continue;
      if (auto vm = get_stats(conn, listed.id)) out.push_back(std::move(*vm));
    }
    return out;
  }
};

KmodStatsSource::KmodStatsSource(KmodOptions options)
    : impl_(std::make_unique<Impl>(Impl{options, connect_family(), {}})) {
  check_visible(options.pid);
  impl_->base.module = get_module(impl_->conn);
  for (KmodVm& vm : impl_->all()) impl_->base.vms.emplace(vm.id, std::move(vm));
}

KmodStatsSource::~KmodStatsSource() = default;
KmodStatsSource::KmodStatsSource(KmodStatsSource&&) noexcept = default;
KmodStatsSource& KmodStatsSource::operator=(KmodStatsSource&&) noexcept = default;

std::vector<KmodVm> KmodStatsSource::vms() { return impl_->all(); }

DirtyStats KmodStatsSource::snapshot() {
  std::vector<KmodVm> now = impl_->all();
  // Module-wide counts only for a caller that could read them at the start.
  std::optional<KmodModule> module;
  if (impl_->base.module) module = get_module(impl_->conn);
  return kmod_snapshot(std::move(now), module, impl_->base, process_of_thread);
}

void KmodStatsSource::reset(pid_t pid) {
  if (pid == 0) {
    reset_stats(impl_->conn, std::nullopt);
    impl_->base.vms.clear();
    // Our own reset: the module-wide counts start again from here, unnoted.
    if (impl_->base.module) impl_->base.module = get_module(impl_->conn);
    return;
  }
  for (const KmodVm& vm : list_vms(impl_->conn)) {
    if (process_of_thread(vm.pid) != pid) continue;
    reset_stats(impl_->conn, vm.id);
    impl_->base.vms.erase(vm.id);
  }
}

void kmod_reset_stats(pid_t pid) {
  const Connected c = connect_family();
  if (pid == 0) return reset_stats(c, std::nullopt);
  for (const KmodVm& vm : list_vms(c))
    if (process_of_thread(vm.pid) == pid) reset_stats(c, vm.id);
}

}  // namespace dirtyscope::stats
