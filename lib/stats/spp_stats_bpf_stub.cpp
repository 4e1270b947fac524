// Built instead of spp_stats_bpf.cpp without the BPF toolchain, like
// bpf_stats_source_stub.cpp: the source is a clean "unavailable".
#include "spp_sources.hpp"

namespace dirtyscope::stats {

std::unique_ptr<SppStatsSource> make_bpf_spp_source(pid_t) {
  throw StatsUnavailable(
      "dirtyscope was built without BPF support (install clang, llvm, bpftool, libbpf-dev, "
      "libelf-dev: scripts/install-deps.sh bpf) and rebuild");
}

}  // namespace dirtyscope::stats
