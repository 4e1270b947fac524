// Built instead of the BPF sources (bpf_stats_source.cpp, spp_stats_bpf.cpp)
// when clang/bpftool/libbpf were missing at configure time: the API stays,
// and using a source is a clean "unavailable" (exit 4 / test skip) rather
// than a build failure.
#include "dirtyscope/stats/bpf_stats_source.hpp"
#include "spp_sources.hpp"

namespace dirtyscope::stats {
namespace {

[[noreturn]] void no_bpf() {
  throw StatsUnavailable(
      "dirtyscope was built without BPF support (install clang, llvm, bpftool, libbpf-dev, "
      "libelf-dev: scripts/install-deps.sh bpf) and rebuild");
}

}  // namespace

struct BpfStatsSource::Impl {};

BpfStatsSource::BpfStatsSource(BpfOptions) { no_bpf(); }
BpfStatsSource::~BpfStatsSource() = default;
BpfStatsSource::BpfStatsSource(BpfStatsSource&&) noexcept = default;
BpfStatsSource& BpfStatsSource::operator=(BpfStatsSource&&) noexcept = default;
AttachMode BpfStatsSource::mode() const { return AttachMode::Auto; }
DirtyStats BpfStatsSource::snapshot() { return {}; }

std::unique_ptr<SppStatsSource> make_bpf_spp_source(pid_t) { no_bpf(); }

}  // namespace dirtyscope::stats
