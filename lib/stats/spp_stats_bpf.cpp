// The "bpf" SppStatsSource: open spp_stats.bpf.c's skeleton, set the
// target process, load, attach raw_tp (else tp) to kvm:kvm_mmio; vectors
// go into its gfn -> vector map, counts come from its per-CPU array.
// Owners are declared in teardown order: the link goes before the object.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/dirtyscope.h>
#include <linux/types.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "bpf_host.hpp"
#include "c_ptr.hpp"
#include "spp_sources.hpp"

extern "C" {
#include "spp_stats.h"
#include "spp_stats.skel.h"
}

namespace dirtyscope::stats {

static_assert(DS_SPP_SUBPAGE_SIZE == DIRTYSCOPE_SPP_SUBPAGE_SIZE);
static_assert(DS_SPP_FULL_ACCESS == DIRTYSCOPE_SPP_FULL_ACCESS);
static_assert(DS_SPP_MAX_PAGES == DIRTYSCOPE_SPP_MAX_PAGES);

namespace {

class BpfSppSource final : public SppStatsSource {
 public:
  explicit BpfSppSource(pid_t pid) {
    if (std::string why = host::bpf_privilege_problem(); !why.empty()) throw StatsUnavailable(why);
    skel_.reset(spp_stats__open());
    if (!skel_) host::bpf_failed("open BPF object spp_stats", errno);
    skel_->rodata->target_tgid = static_cast<__u32>(pid);
    if (const int err = spp_stats__load(skel_.get())) host::bpf_failed("load BPF object spp_stats", -err);
    // raw_tp needs neither BTF nor tracefs; tp is the fallback for a
    // kernel that refuses raw_tp on a module's tracepoint.
    bpf_link* link = bpf_program__attach(skel_->progs.raw_kvm_mmio);
    if (!link) {
      const int raw_err = errno;
      if (std::string why = host::ensure_tracefs(); why.empty())
        link = bpf_program__attach(skel_->progs.tp_kvm_mmio);
      if (!link) {
        if (raw_err == EPERM || raw_err == EACCES) host::bpf_failed("attach kvm:kvm_mmio", raw_err);
        throw StatsUnavailable(std::string("cannot attach to kvm:kvm_mmio (is KVM loaded?): ") +
                               std::strerror(raw_err));
      }
    }
    link_.reset(link);
    vectors_fd_ = bpf_map__fd(skel_->maps.spp_vectors);
    counts_fd_ = bpf_map__fd(skel_->maps.spp_counts);
  }

  const char* name() const override { return "bpf"; }

  void set_vectors(std::uint64_t gfn, std::uint64_t npages, std::uint32_t vector) override {
    for (const SppRange& r : spp_request_ranges(gfn, npages)) {
      for (std::uint64_t g = r.gfn; g < r.gfn + r.npages; ++g) {
        const __u64 key = g;
        if (vector == DS_SPP_FULL_ACCESS) {
          // Unregistering a page that is not registered is not an error,
          // as with the module.
          if (bpf_map_delete_elem(vectors_fd_, &key) && errno != ENOENT) host::bpf_failed("SPP map delete", errno);
          continue;
        }
        const __u32 value = vector;
        // E2BIG: more than DIRTYSCOPE_SPP_MAX_PAGES registered, the
        // module's limit too (there -ENOSPC).
        if (bpf_map_update_elem(vectors_fd_, &key, &value, BPF_ANY)) host::bpf_failed("SPP map update", errno);
      }
    }
  }

  SppStatsCounts counts() override {
    const int ncpus = libbpf_num_possible_cpus();
    if (ncpus <= 0) throw std::runtime_error("libbpf_num_possible_cpus failed");
    std::vector<ds_spp_counts> per_cpu(static_cast<std::size_t>(ncpus));
    const __u32 zero = 0;
    if (bpf_map_lookup_elem(counts_fd_, &zero, per_cpu.data())) host::bpf_failed("SPP counts lookup", errno);
    SppStatsCounts out;
    for (const ds_spp_counts& c : per_cpu) {
      out.allowed += c.allowed;
      out.denied += c.denied;
    }
    return out;  // the program was loaded with the source: counts since then
  }

 private:
  CPtr<spp_stats, spp_stats__destroy> skel_;
  CPtr<bpf_link, bpf_link__destroy> link_;  // after skel_: destroyed first
  int vectors_fd_ = -1;  // owned by skel_
  int counts_fd_ = -1;
};

}  // namespace

std::unique_ptr<SppStatsSource> make_bpf_spp_source(pid_t pid) { return std::make_unique<BpfSppSource>(pid); }

}  // namespace dirtyscope::stats
