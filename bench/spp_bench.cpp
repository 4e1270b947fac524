// spp_bench: what SPP modelled on stock KVM costs.
//   - per guest store: unprotected, denied, and allowed (each trapped store
//     is a KVM_EXIT_MMIO round trip through the model);
//   - protecting and then unprotecting N scattered pages while the guest
//     runs (each is a memslot split or merge).
// Medians over -r repetitions, a table and --json. Needs /dev/kvm (in this
// project's CI, the nested VM).
#include <getopt.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "dirtyscope/cli_flags.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/json.hpp"
#include "dirtyscope/page.hpp"
#include "dirtyscope/size_parse.hpp"
#include "dirtyscope/spp_vectors.hpp"
#include "dirtyscope/ktap.hpp"
#include "dirtyscope/spp/spp_expectation.hpp"
#include "dirtyscope/spp/spp_session.hpp"

using namespace dirtyscope;
using Clock = std::chrono::steady_clock;

namespace {

struct BenchOptions {
  uint32_t reps = 5;
  std::vector<uint64_t> scattered = {1, 100, 10000};
  x86::GuestCpl cpl = x86::GuestCpl::User;
  std::string json_path;
  bool help = false;
};

const char* kUsage =
    "usage: spp_bench [-r reps] [-n N[,N...]] [-u 0|3] [--json FILE]\n"
    " -r N     repetitions; medians are reported (default 5)\n"
    " -n LIST  scattered page counts to protect and unprotect while the guest\n"
    "          runs (default 1,100,10000; each needs 2 memslots)\n"
    " -u N     guest privilege level (default 3)\n"
    " --json F also write the results as JSON\n";

BenchOptions parse(int argc, char** argv) {
  static const option longs[] = {{"json", required_argument, nullptr, 'j'}, {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  BenchOptions o;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":r:n:u:h", longs, nullptr)) != -1) {
    const std::string arg = optarg ? optarg : "";
    switch (c) {
      case 'r': o.reps = static_cast<uint32_t>(parse_uint("-r", arg, 1, 1000)); break;
      case 'n': {
        o.scattered.clear();
        std::stringstream in(arg);
        for (std::string item; std::getline(in, item, ',');) o.scattered.push_back(parse_uint("-n", item, 1, 16000));
        break;
      }
      case 'u': o.cpl = parse_cpl_flag(arg); break;
      case 'j': o.json_path = arg; break;
      case 'h': o.help = true; break;
      default: throw_getopt_error(c, argv);
    }
  }
  reject_positional_args(argc, argv);
  return o;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Per-store costs: three rounds of the same plan under three protections.
struct StoreCosts {
  double unprotected_ns, denied_ns, allowed_ns;
};

StoreCosts measure_store_costs(const KvmSystem& kvm, const BenchOptions& b, uint32_t reps) {
  SppOptions o;
  o.vcpus = 1;
  o.cpl = b.cpl;
  o.pages_per_vcpu = 4;
  SppSession s(kvm, o);
  const uint64_t stores = s.stores_per_round(), gfn = s.guard_gfn(0);
  std::vector<double> unprotected, denied, allowed;
  uint64_t round = 1;
  auto timed_round = [&](uint32_t vector) {
    s.model().set_vectors(gfn, s.pages(), vector);
    const auto t = Clock::now();
    s.run_round(round++);
    return seconds_since(t) * 1e9;
  };
  // Alternating sub-pages: how many of the plan's stores are allowed.
  const SppRoundPlan plan = s.plan(0, 0, stores);
  const ExpectedRound mixed = expect_round(plan, std::vector<uint8_t>(s.pages() * kPageSize), std::vector<uint32_t>(s.pages(), 0x55555555u));
  const double allowed_n = static_cast<double>(mixed.allowed), denied_n = static_cast<double>(mixed.violations.size());
  for (uint32_t r = 0; r < reps; ++r) {
    const double u = timed_round(kSppFullAccess) / static_cast<double>(stores);
    const double d = timed_round(0) / static_cast<double>(stores);
    const double m = timed_round(0x55555555u);
    unprotected.push_back(u);
    denied.push_back(d);
    // The mixed round's time less its denied stores' share, per allowed store.
    allowed.push_back((m - denied_n * d) / allowed_n);
  }
  return {median(unprotected), median(denied), median(allowed)};
}

struct ProtectCost {
  uint64_t pages;
  double protect_ms, unprotect_ms;
  size_t memslots;
};

ProtectCost measure_protect(const KvmSystem& kvm, const BenchOptions& b, uint64_t n, uint32_t reps) {
  SppOptions o;
  o.vcpus = 1;
  o.cpl = b.cpl;
  o.pages_per_vcpu = 4;  // the guest stores to the first 4 pages only
  // Every other page after the guest's: n runs of one protected page.
  o.region_size = std::max<uint64_t>(kHugePage2M, (8 + 2 * n + kHugePage2M / kPageSize - 1) /
                                                      (kHugePage2M / kPageSize) * kHugePage2M);
  SppSession s(kvm, o);
  s.prepare_round(1);
  s.keep_guest_running();
  const uint64_t first = s.guard_gfn(0) + 8;
  std::vector<double> protect, unprotect;
  size_t memslots = 0;
  for (uint32_t r = 0; r < reps; ++r) {
    auto t = Clock::now();
    for (uint64_t i = 0; i < n; ++i) s.model().set_vectors(first + 2 * i, 1, 0x0f0f0f0fu);
    protect.push_back(seconds_since(t) * 1e3);
    memslots = s.model().memslots_in_use();
    t = Clock::now();
    for (uint64_t i = 0; i < n; ++i) s.model().set_vectors(first + 2 * i, 1, kSppFullAccess);
    unprotect.push_back(seconds_since(t) * 1e3);
  }
  return {n, median(protect), median(unprotect), memslots};
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions b;
  try {
    b = parse(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "spp_bench: %s\n", e.what());
    return kExitUsage;
  }
  if (b.help) {
    std::fputs(kUsage, stdout);
    return kExitPass;
  }
  try {
    KvmSystem kvm = KvmSystem::open();
    const StoreCosts c = measure_store_costs(kvm, b, b.reps);
    std::vector<ProtectCost> p;
    for (uint64_t n : b.scattered) p.push_back(measure_protect(kvm, b, n, n >= 1000 ? 1 : b.reps));
    std::printf("spp_bench: guest CPL%d, medians of %u repetitions\n", b.cpl == x86::GuestCpl::User ? 3 : 0, b.reps);
    std::printf("%-28s %12s %10s\n", "guest store", "ns/store", "ratio");
    std::printf("%-28s %12.0f %10.2f\n", "unprotected page", c.unprotected_ns, 1.0);
    std::printf("%-28s %12.0f %10.2f\n", "protected, allowed", c.allowed_ns, c.allowed_ns / c.unprotected_ns);
    std::printf("%-28s %12.0f %10.2f\n", "protected, denied", c.denied_ns, c.denied_ns / c.unprotected_ns);
    std::printf("%-28s %12s %12s %12s %10s\n", "scattered pages", "protect ms", "unprotect ms", "ms/page", "memslots");
    for (const auto& x : p)
      std::printf("%-28llu %12.2f %12.2f %12.3f %10zu\n", static_cast<unsigned long long>(x.pages), x.protect_ms,
                  x.unprotect_ms, x.protect_ms / static_cast<double>(x.pages), x.memslots);
    if (!b.json_path.empty()) {
      std::ofstream out(b.json_path);
      if (!out) throw UsageError("--json: cannot write '" + b.json_path + "'");
      JsonWriter j(out);
      j.begin_object().field("tool", "spp_bench").field("reps", b.reps).field("guest_cpl", b.cpl == x86::GuestCpl::User ? 3 : 0);
      j.key("store_ns").begin_object()
          .field("unprotected", c.unprotected_ns).field("allowed", c.allowed_ns).field("denied", c.denied_ns)
          .end_object();
      j.key("protect").begin_array();
      for (const auto& x : p)
        j.begin_object().field("pages", x.pages).field("protect_ms", x.protect_ms).field("unprotect_ms", x.unprotect_ms)
            .field("memslots", static_cast<uint64_t>(x.memslots)).end_object();
      j.end_array().end_object();
      out << "\n";
    }
    return kExitPass;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "spp_bench: %s\n", e.what());
    return kExitUsage;
  } catch (const SkipError& e) {
    std::printf("spp_bench: SKIP: %s\n", e.what());
    return kExitSkip;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spp_bench: %s\n", e.what());
    return kExitFail;
  }
}
