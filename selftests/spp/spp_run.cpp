#include "spp_run.hpp"

#include <memory>

#include "dirtyscope/error.hpp"
#include "dirtyscope/spp_vectors.hpp"
#include "ktap.hpp"
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

// Every case on one VM, with dirty logging in `mode` ("" for none).
void run_cases(const KvmSystem& kvm, const SppOptions& o, const std::string& mode, Ktap& ktap) {
  const std::string prefix = mode.empty() ? "" : mode + ": ";
  std::unique_ptr<SppSession> made;
  try {
    made = std::make_unique<SppSession>(kvm, o, mode);
  } catch (const SkipError& e) {
    for (const char* c : kCaseNames) ktap.skip(prefix + c, e.what());
    return;
  }
  SppSession& session = *made;
  ktap.diag(prefix + "spp_test: " + std::to_string(o.vcpus) + " vCPU(s) at CPL" + (o.cpl == x86::GuestCpl::User ? "3" : "0") +
            ", " + std::to_string(o.pages_per_vcpu) + " guard pages each in a 2 MiB region backed by " +
            backing_name(o.backing) + ", " + std::to_string(session.stores_per_round()) +
            " stores per vCPU and round, seed " + std::to_string(o.seed) + "; KVM_CAP_NR_MEMSLOTS " +
            std::to_string(session.model().memslot_limit()) + (mode.empty() ? "" : "; dirty logging: " + mode) +
            (o.injection != SppInjection::None ? std::string(", inject ") + spp_injection_name(o.injection) : ""));
  uint64_t round = 1;
  const uint64_t seed = o.seed;
  report(ktap, prefix, static_case(session, "full-access", round++, [](uint32_t, uint64_t) { return kSppFullAccess; }));
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
  report(ktap, prefix, runtime_case(session, round));
  round += 100;
  report(ktap, prefix, lift_case(session, round));
  const SppCounts c = session.model().counts();
  ktap.diag(prefix + "model totals: " + std::to_string(c.allowed) + " allowed, " + std::to_string(c.denied) + " denied, " +
            std::to_string(c.unprotected) + " writes and " + std::to_string(c.reads) +
            " reads emulated during memslot changes, " + std::to_string(c.memslot_changes) + " memslot changes");
}
}  // namespace

int run_spp_test(const KvmSystem& kvm, const SppOptions& o, std::FILE* out) {
  Ktap ktap(out);
  ktap.header(kCases * o.modes.size());
  for (const auto& mode : o.modes) run_cases(kvm, o, mode, ktap);
  return ktap.finish();
}

}  // namespace dirtyscope
