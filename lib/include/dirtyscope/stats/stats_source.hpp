// StatsSource: anything that can hand out a DirtyStats snapshot (the BPF
// and the kernel-module source), so tools and tests take a StatsSource&.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "dirtyscope/stats/dirty_stats.hpp"

namespace dirtyscope::stats {

// Thrown when a source cannot run on this host for a reason that is not a
// bug: missing privilege, BPF disabled, built without the toolchain.
// Tools exit 4 (skip) on it, tests GTEST_SKIP with what().
class StatsUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "auto" for the factories: the module's source when it can run here (it
// is loaded: no privilege, no programs to load), else BPF's. Only "cannot
// run here" falls through; if neither can run, the reason names both.
template <typename Kmod, typename Bpf>
auto kmod_else_bpf(Kmod&& kmod, Bpf&& bpf) {
  std::string kmod_why;
  try {
    return kmod();
  } catch (const StatsUnavailable& e) {
    kmod_why = e.what();
  }
  try {
    return bpf();
  } catch (const StatsUnavailable& e) {
    throw StatsUnavailable("bpf: " + std::string(e.what()) + "; kmod: " + kmod_why);
  }
}

class StatsSource {
 public:
  virtual ~StatsSource() = default;
  // Short lowercase name, used as the JSON key prefix ("bpf").
  virtual std::string_view name() const = 0;
  // Cumulative counts since the source was constructed.
  virtual DirtyStats snapshot() = 0;
};

}  // namespace dirtyscope::stats
