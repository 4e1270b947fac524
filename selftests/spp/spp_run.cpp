#include "spp_run.hpp"

#include "dirtyscope/error.hpp"
#include "dirtyscope/spp_vectors.hpp"
#include "ktap.hpp"
#include "spp_cases.hpp"

namespace dirtyscope {

namespace {
constexpr size_t kCases = 7;

void report(Ktap& ktap, const SppCaseResult& r) {
  for (const auto& n : r.notes) ktap.diag(n);
  if (r.failures.empty()) {
    ktap.pass(r.name);
    return;
  }
  for (const auto& f : r.failures) ktap.diag(r.name + ": FAIL: " + f);
  ktap.fail(r.name);
}
}  // namespace

int run_spp_test(const KvmSystem& kvm, const SppOptions& o, std::FILE* out) {
  SppSession session(kvm, o);  // SkipError (no KVM_CAP_READONLY_MEM) propagates before the plan
  Ktap ktap(out);
  ktap.header(kCases);
  ktap.diag("spp_test: " + std::to_string(o.vcpus) + " vCPU(s) at CPL" + (o.cpl == x86::GuestCpl::User ? "3" : "0") +
            ", " + std::to_string(o.pages_per_vcpu) + " guard pages each in a 2 MiB region backed by " +
            backing_name(o.backing) + ", " + std::to_string(session.stores_per_round()) +
            " stores per vCPU and round, seed " + std::to_string(o.seed) + "; KVM_CAP_NR_MEMSLOTS " +
            std::to_string(session.model().memslot_limit()) +
            (o.injection != SppInjection::None ? std::string(", inject ") + spp_injection_name(o.injection) : ""));
  uint64_t round = 1;
  const uint64_t seed = o.seed;
  report(ktap, static_case(session, "full-access", round++, [](uint32_t, uint64_t) { return kSppFullAccess; }));
  report(ktap, static_case(session, "no-access", round++, [](uint32_t, uint64_t) { return 0u; }));
  report(ktap, static_case(session, "alternating", round++,
                           [](uint32_t, uint64_t p) { return p % 2 ? 0xaaaaaaaau : 0x55555555u; }));
  report(ktap, static_case(session, "random-vectors", round++,
                           [seed](uint32_t v, uint64_t p) { return random_vector(seed, v, p); }));
  // Protected pages between unprotected ones: the region's memslot is
  // split into a run per page.
  report(ktap, static_case(session, "mixed-pages", round++, [seed](uint32_t v, uint64_t p) {
           return p % 2 ? random_vector(seed + 1, v, p) : kSppFullAccess;
         }));
  report(ktap, runtime_case(session, round));
  round += 100;
  report(ktap, lift_case(session, round));
  const SppCounts c = session.model().counts();
  ktap.diag("model totals: " + std::to_string(c.allowed) + " allowed, " + std::to_string(c.denied) + " denied, " +
            std::to_string(c.unprotected) + " writes and " + std::to_string(c.reads) +
            " reads emulated during memslot changes, " + std::to_string(c.memslot_changes) + " memslot changes");
  return ktap.finish();
}

}  // namespace dirtyscope
