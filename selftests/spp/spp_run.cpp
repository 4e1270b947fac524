#include "spp_run.hpp"

#include <memory>

#include <unistd.h>

#include "dirtyscope/error.hpp"
#include "dirtyscope/stats/spp_stats.hpp"
#include "dirtyscope/spp_vectors.hpp"
#include "dirtyscope/ktap.hpp"
#include "spp_cases.hpp"

namespace dirtyscope {

namespace {
constexpr size_t kCases = 7;

const char* kCaseNames[kCases] = {"full-access", "no-access", "alternating", "random-vectors",
                                   "mixed-pages", "runtime-changes", "lift"};

void report(Ktap& ktap, const std::string& prefix, const SppCaseResult& r) {
  const std::string name = prefix + r.name;
  for (const auto& n : r.notes) ktap.diag(prefix + n);
  if (!r.skipped.empty()) {
    ktap.skip(name, r.skipped);
  } else if (r.failures.empty()) {
    ktap.pass(name);
  } else {
    for (const auto& f : r.failures) ktap.diag(name + ": FAIL: " + f);
    ktap.fail(name);
  }
}

// --stats: the source's counts against the model's over the static cases.
// Only there: while vectors change under running vCPUs, KVM traces a write
// before the model decides it, so the two may see different vectors.
SppCaseResult stats_case(SppSession& s, stats::SppStatsSource* source, const std::string& skip,
                         const SppCounts& at_attach) {
  SppCaseResult res{"stats-agreement", {}, {}, skip};
  if (!source) return res;
  s.model().observe_vectors({});
  const SppCounts mine = s.model().counts();
  const stats::SppStatsCounts theirs = source->counts();
  const uint64_t allowed = mine.allowed - at_attach.allowed, denied = mine.denied - at_attach.denied;
  res.notes.push_back(std::string("stats-agreement: ") + source->name() + " counted " + std::to_string(theirs.allowed) +
                      " allowed and " + std::to_string(theirs.denied) + " denied writes (" +
                      std::to_string(theirs.events_dropped) + " events dropped); the model " + std::to_string(allowed) +
                      " and " + std::to_string(denied));
  if (theirs.allowed != allowed || theirs.denied != denied)
    res.failures.push_back(std::string(source->name()) + " counted " + std::to_string(theirs.allowed) + " allowed / " +
                           std::to_string(theirs.denied) + " denied writes to protected pages, the model " +
                           std::to_string(allowed) + " / " + std::to_string(denied));
  return res;
}

// Every case on one VM, with dirty logging in `mode` ("" for none).
void run_cases(const KvmSystem& kvm, const SppOptions& o, const std::string& mode, Ktap& ktap) {
  const std::string prefix = mode.empty() ? "" : mode + ": ";
  std::unique_ptr<SppSession> made;
  try {
    made = std::make_unique<SppSession>(kvm, o, mode);
  } catch (const SkipError& e) {
    for (const char* c : kCaseNames) ktap.skip(prefix + c, e.what());
    if (o.stats_source) ktap.skip(prefix + "stats-agreement", e.what());
    if (o.injection != SppInjection::None) ktap.skip(prefix + "injection-fired", e.what());
    return;
  }
  SppSession& session = *made;
  ktap.diag(prefix + "spp_test: " + std::to_string(o.vcpus) + " vCPU(s) at " + guest_privilege_name(o.cpl) +
            ", " + std::to_string(o.pages_per_vcpu) + " guard pages each in a 2 MiB region backed by " +
            backing_name(o.backing) + ", " + std::to_string(session.stores_per_round()) +
            " stores per vCPU and round, seed " + std::to_string(o.seed) + "; KVM_CAP_NR_MEMSLOTS " +
            std::to_string(session.model().memslot_limit()) + (mode.empty() ? "" : "; dirty logging: " + mode) +
            (o.injection != SppInjection::None ? std::string(", inject ") + spp_injection_name(o.injection) : ""));
  uint64_t round = 1;
  const uint64_t seed = o.seed;
  report(ktap, prefix, static_case(session, "full-access", round++, [](uint32_t, uint64_t) { return kSppFullAccess; }));
  // --stats: from here on every vector is registered with the source too;
  // the first round let dirtyscope.ko learn of the VM (it needs one exit).
  std::unique_ptr<stats::SppStatsSource> source;
  std::string source_skip;
  SppCounts at_attach{};
  if (o.stats_source) {
    try {
      source = stats::make_spp_stats_source(*o.stats_source, getpid(), session.vm_fd());
      session.model().observe_vectors(
          [&source](uint64_t gfn, uint64_t n, uint32_t vector) { source->set_vectors(gfn, n, vector); });
      at_attach = session.model().counts();
    } catch (const stats::StatsUnavailable& e) {
      source_skip = std::string("--stats: ") + e.what();
    }
  }
  report(ktap, prefix, static_case(session, "no-access", round++, [](uint32_t, uint64_t) { return 0u; }));
  report(ktap, prefix, static_case(session, "alternating", round++,
                           [](uint32_t, uint64_t p) { return p % 2 ? 0xaaaaaaaau : 0x55555555u; }));
  report(ktap, prefix, static_case(session, "random-vectors", round++,
                           [seed](uint32_t v, uint64_t p) { return random_vector(seed, v, p); }));
  // Protected pages between unprotected ones: the region's memslot is
  // split into a run per page.
  report(ktap, prefix, static_case(session, "mixed-pages", round++, [seed](uint32_t v, uint64_t p) {
           return p % 2 ? random_vector(seed + 1, v, p) : kSppFullAccess;
         }));
  if (o.stats_source) report(ktap, prefix, stats_case(session, source.get(), source_skip, at_attach));
  report(ktap, prefix, runtime_case(session, round));
  round += 100;
  report(ktap, prefix, lift_case(session, round));
  // The cases can only fail on a fault that acted: one that never did
  // (a run too short for it) must not let the run pass.
  if (o.injection != SppInjection::None) {
    SppCaseResult fired{"injection-fired", {}, {}, {}};
    if (!session.model().injection_fired())
      fired.failures.push_back(std::string("--inject ") + spp_injection_name(o.injection) +
                               " never acted: no store met the fault; give more stores or guard pages");
    report(ktap, prefix, fired);
  }
  const SppCounts c = session.model().counts();
  ktap.diag(prefix + "model totals: " + std::to_string(c.allowed) + " allowed, " + std::to_string(c.denied) + " denied, " +
            std::to_string(c.unprotected) + " writes and " + std::to_string(c.reads) +
            " reads emulated during memslot changes, " + std::to_string(c.memslot_changes) + " memslot changes");
}
}  // namespace

int run_spp_test(const KvmSystem& kvm, const SppOptions& o, std::FILE* out) {
  Ktap ktap(out);
  ktap.header((kCases + (o.stats_source ? 1 : 0) + (o.injection != SppInjection::None ? 1 : 0)) * o.modes.size());
  for (const auto& mode : o.modes) run_cases(kvm, o, mode, ktap);
  return ktap.finish();
}

}  // namespace dirtyscope
