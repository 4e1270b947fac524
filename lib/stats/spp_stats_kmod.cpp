// The "kmod" SppStatsSource: vectors go to dirtyscope.ko with SPP_SET, the
// counts are the VM's SPP totals in GET_STATS, minus those at construction.
#include <linux/dirtyscope.h>
#include <netlink/attr.h>

#include <unistd.h>

#include <cerrno>
#include <optional>
#include <stdexcept>
#include <string>

#include "counter_fields.hpp"
#include "kmod_genl.hpp"
#include "spp_sources.hpp"

namespace dirtyscope::stats {

using namespace kmod;

void put_spp_set(nl_msg* msg, std::uint64_t vm_id, const SppRange& range, std::uint32_t vector) {
  // The VM by id, not pid+fd: an id is never reused while the module is
  // loaded, an fd is as soon as the VM is closed.
  if (nla_put_u64(msg, DIRTYSCOPE_ATTR_VM_ID, vm_id) < 0 ||
      nla_put_u64(msg, DIRTYSCOPE_ATTR_SPP_GFN, range.gfn) < 0 ||
      nla_put_u32(msg, DIRTYSCOPE_ATTR_SPP_NPAGES, range.npages) < 0 ||
      nla_put_u32(msg, DIRTYSCOPE_ATTR_SPP_VECTOR, vector) < 0)
    throw std::runtime_error("SPP_SET attributes do not fit in the message");
}

namespace {

class KmodSppSource final : public SppStatsSource {
 public:
  KmodSppSource(pid_t pid, int vm_fd) : conn_(connect_family()), pid_(pid), vm_fd_(vm_fd) {
    // A VM the module does not know yet has no counts: the baseline is 0.
    if (const auto vm = find_vm()) {
      vm_id_ = vm->id;
      base_ = vm->spp.value_or(SppCounters{});
    }
  }

  const char* name() const override { return "kmod"; }

  void set_vectors(std::uint64_t gfn, std::uint64_t npages, std::uint32_t vector) override {
    const std::vector<SppRange> ranges = spp_request_ranges(gfn, npages);
    if (!vm_id_) {
      if (const auto vm = find_vm()) vm_id_ = vm->id;
    }
    if (!vm_id_)
      throw std::runtime_error("dirtyscope.ko does not know VM " + std::to_string(pid_) + "-" +
                               std::to_string(vm_fd_) +
                               " yet: it learns of a VM at its first traced event (run a vCPU once first)" +
                               (geteuid() ? std::string("; or the VM is another user's: ") + kKmodVisibility
                                          : std::string()));
    for (const SppRange& r : ranges) {
      MsgPtr m = request(conn_, DIRTYSCOPE_CMD_SPP_SET, 0);
      put_spp_set(m.get(), *vm_id_, r, vector);
      try {
        transact(conn_, m.get(), DIRTYSCOPE_CMD_SPP_SET, [](const nlmsghdr*) {
          bad("SPP_SET reply", "unexpected reply message (only an ack is sent)");
        });
      } catch (const KmodRequestError& e) {
        // Not the VM's owner and no CAP_SYS_ADMIN: cannot run here.
        if (e.code().value() == EPERM) throw StatsUnavailable(e.what());
        // Invisible VMs answer like missing ones; say which it may be.
        if (e.code().value() == ENOENT && geteuid())
          throw StatsUnavailable(std::string(e.what()) + " (destroyed, or not visible: " + kKmodVisibility + ")");
        throw;
      }
    }
  }

  SppStatsCounts counts() override {
    if (!vm_id_) {
      const auto vm = find_vm();
      if (!vm) return last_;  // still unknown to the module: nothing counted
      vm_id_ = vm->id;
    }
    const std::optional<KmodVm> vm = get_stats(conn_, *vm_id_);
    if (!vm) return last_;  // destroyed: its counts are final
    if (!vm->spp)
      throw std::runtime_error("this dirtyscope.ko sends no SPP counters (a build from before the SPP hooks)");
    // RESET_STATS in between zeroes them: count from zero again.
    if (went_backwards(*vm->spp, base_)) base_ = SppCounters{};
    return last_ = minus(*vm->spp, base_);
  }

 private:
  // The VM named <tid>-<vm_fd> whose creating thread belongs to pid_ (KVM
  // names a VM after the thread that created it, usually the main one).
  std::optional<KmodVm> find_vm() {
    for (KmodVm& vm : list_vms(conn_))
      if (vm.fd == vm_fd_ && (vm.pid == static_cast<std::uint32_t>(pid_) || process_of_thread(vm.pid) == pid_))
        return std::move(vm);
    return std::nullopt;
  }

  Connected conn_;
  pid_t pid_;
  int vm_fd_;
  std::optional<std::uint64_t> vm_id_;
  SppCounters base_;
  SppStatsCounts last_;
};

}  // namespace

std::unique_ptr<SppStatsSource> make_kmod_spp_source(pid_t pid, int vm_fd) {
  return std::make_unique<KmodSppSource>(pid, vm_fd);
}

}  // namespace dirtyscope::stats
