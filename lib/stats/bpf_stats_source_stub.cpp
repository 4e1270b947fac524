// Built instead of bpf_stats_source.cpp when clang/bpftool/libbpf were
// missing at configure time: the API stays, and using it is a clean
// "unavailable" (exit 4 / test skip) rather than a build failure.
#include "dirtyscope/stats/bpf_stats_source.hpp"

namespace dirtyscope::stats {

struct BpfStatsSource::Impl {};

BpfStatsSource::BpfStatsSource(BpfOptions) {
  throw StatsUnavailable(
      "dirtyscope was built without BPF support (install clang, llvm, bpftool, libbpf-dev, "
      "libelf-dev: scripts/install-deps.sh bpf) and rebuild");
}
BpfStatsSource::~BpfStatsSource() = default;
BpfStatsSource::BpfStatsSource(BpfStatsSource&&) noexcept = default;
BpfStatsSource& BpfStatsSource::operator=(BpfStatsSource&&) noexcept = default;
AttachMode BpfStatsSource::mode() const { return AttachMode::Auto; }
const std::vector<std::string>& BpfStatsSource::hooks() const {
  static const std::vector<std::string> none;
  return none;
}
DirtyStats BpfStatsSource::snapshot() { return {}; }

}  // namespace dirtyscope::stats
