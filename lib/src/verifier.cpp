#include "dirtyscope/verifier.hpp"

namespace dirtyscope {

const char* offense_name(Offense o) {
  switch (o) {
    case Offense::Missed: return "missed";
    case Offense::Stale: return "stale";
    case Offense::Future: return "future";
    case Offense::InitialMissing: return "initially-set-missing";
    case Offense::InitialUnexpected: return "initially-unexpected";
  }
  return "?";
}

std::string Verdict::summary() const {
  std::string by_vcpu;
  for (const auto& [writer, n] : missed_by_writer)
    by_vcpu += (by_vcpu.empty() ? " (" : ", ") + std::string("vCPU ") +
               (writer ? std::to_string(writer - 1) : "?") + ": " + std::to_string(n);
  if (!by_vcpu.empty()) by_vcpu += ")";
  return "missed " + std::to_string(missed) + by_vcpu + ", stale " + std::to_string(stale) + ", future " +
         std::to_string(future) + (initial_wrong ? ", initial " + std::to_string(initial_wrong) : "");
}

namespace {
void record(Verdict& v, Offense kind, uint64_t page, uint64_t stamp, uint64_t writer) {
  switch (kind) {
    case Offense::Missed:
      ++v.missed;
      ++v.missed_by_writer[writer];
      break;
    case Offense::Stale: ++v.stale; break;
    case Offense::Future: ++v.future; break;
    default: ++v.initial_wrong; break;
  }
  if (v.first.size() < Verdict::kMaxListed) v.first.push_back({kind, page, stamp, writer});
}
}  // namespace

Verdict verify_iteration(uint64_t iteration, const StampView& stamps, const DirtySet& reported) {
  Verdict v;
  v.iteration = iteration;
  for (uint64_t p = 0; p < stamps.pages; ++p) {
    const uint64_t stamp = stamps.stamp(p);
    const bool dirty = reported.test(p);
    dirty ? ++v.reported : ++v.clean;
    if (stamp == iteration) ++v.written;
    if (stamp > iteration) record(v, Offense::Future, p, stamp, stamps.writer(p));
    else if (stamp == iteration && !dirty) record(v, Offense::Missed, p, stamp, stamps.writer(p));
    else if (stamp != iteration && dirty) record(v, Offense::Stale, p, stamp, stamps.writer(p));
  }
  return v;
}

Verdict verify_initial(const StampView& stamps, const DirtySet& reported, bool expect_all) {
  Verdict v;
  for (uint64_t p = 0; p < stamps.pages; ++p) {
    const uint64_t stamp = stamps.stamp(p);
    const bool dirty = reported.test(p);
    dirty ? ++v.reported : ++v.clean;
    if (stamp != 0) record(v, Offense::Future, p, stamp, stamps.writer(p));
    else if (expect_all && !dirty) record(v, Offense::InitialMissing, p, stamp, stamps.writer(p));
    else if (!expect_all && dirty) record(v, Offense::InitialUnexpected, p, stamp, stamps.writer(p));
  }
  return v;
}

}  // namespace dirtyscope
