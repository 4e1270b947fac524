// dirty_log_perf: the kernel's dirty_log_perf_test options and timings,
// with the dirty ring beside the two bitmap interfaces, so bitmap vs ring
// is one command. See -h and bench/README.md.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "dirtyscope/error.hpp"
#include "dirtyscope/host_limits.hpp"
#include "dirtyscope/kvm_abi.hpp"
#include "dirtyscope/ring_limits.hpp"
#include "dirtyscope/size_parse.hpp"
#include "perf_options.hpp"
#include "perf_output.hpp"
#include "perf_runner.hpp"
#include "dirtyscope/stats/source_factory.hpp"

using namespace dirtyscope;
using namespace dirtyscope::bench;

namespace {

constexpr int kExitOk = 0, kExitFail = 1, kExitUsage = 2, kExitSkip = 4;

bool wants_ring(const PerfOptions& o) {
  for (const auto& m : o.modes)
    if (m == "dirty-ring") return true;
  return false;
}

// Refuses sizes before anything is allocated: one line, exit 2.
void check_memory(const PerfOptions& o) {
  if (is_hugetlb(o.backing)) return;  // a huge page shortfall is a skip, raised at allocation
  const uint64_t avail = host_available_bytes(o.backing);
  if (o.total_bytes() > avail)
    throw UsageError("-b/-v: test memory " + format_size(o.total_bytes()) + " exceeds the " +
                     format_size(avail & ~((1ULL << 20) - 1)) + " this host can back now (MemAvailable)");
}

void check_kvm_limits(const KvmSystem& kvm, const PerfOptions& o) {
  const unsigned bits = guest_phys_bits(kvm);
  const uint64_t end = o.gpa + o.total_bytes();
  if (bits < 64 && (end > (1ULL << bits) || end < o.gpa))
    throw UsageError("-p/-b: test memory would end at " + format_size(end) + ", beyond the guest's " +
                     std::to_string(bits) + "-bit physical address space");
  if (!wants_ring(o)) return;
  // No ring: that mode is a skip naming the capability.
  if (const auto limits = ring_limits_of(kvm)) check_ring_entries(o.ring_entries, *limits);
}

}  // namespace

int main(int argc, char** argv) {
  PerfOptions o;
  std::ofstream json;
  try {
    o = parse_perf_options(argc, argv);
    if (o.help) {
      std::fputs(perf_usage(argv[0]).c_str(), stdout);
      return kExitOk;
    }
    check_memory(o);
    if (!o.json_path.empty()) {
      json.open(o.json_path);  // early, so a bad path costs no run
      if (!json) throw UsageError("--json: cannot write '" + o.json_path + "'");
    }
  } catch (const UsageError& e) {
    std::fprintf(stderr, "dirty_log_perf: %s\n", e.what());
    return kExitUsage;
  }

  try {
    KvmSystem kvm = KvmSystem::open();
    check_kvm_limits(kvm, o);
    std::printf("dirty_log_perf: %s\n", describe_config(o).c_str());
    if (o.cpl == x86::GuestCpl::Kernel && wants_ring(o) && o.pages_per_vcpu() >= o.ring_entries - 64)
      std::printf("note: at CPL0 each vCPU's %u-entry ring reaches soft-full; on a PVM host CPL0 can "
                  "overrun it (docs/findings.md). Use -u 3 or -c above %llu.\n",
                  o.ring_entries, static_cast<unsigned long long>(o.pages_per_vcpu() + 64));
    std::fflush(stdout);

    std::unique_ptr<stats::StatsSource> stats_source;
    if (o.stats_source) {
      try {
        stats_source = stats::make_stats_source(*o.stats_source, getpid());
      } catch (const stats::StatsUnavailable& e) {
        std::fprintf(stderr, "dirty_log_perf: --stats: %s\n", e.what());
        return kExitSkip;
      }
    }

    std::vector<PerfModeResult> results;
    for (const auto& mode : o.modes) {
      results.push_back(run_perf_mode(
          kvm, o, mode,
          [](const std::string& line) {
            std::printf("%s\n", line.c_str());
            std::fflush(stdout);
          },
          stats_source.get()));
      const PerfModeResult& r = results.back();
      if (r.status != PerfStatus::Ok)
        std::printf("%s: %s: %s\n", mode.c_str(), perf_status_name(r.status), r.reason.c_str());
    }
    std::printf("\n%s", side_by_side_table(o, results).c_str());
    if (json.is_open()) {
      write_perf_json(json, o, results);
      json.close();
      std::printf("JSON: %s\n", o.json_path.c_str());
    }

    bool any_ok = false, any_fail = false;
    for (const auto& r : results) {
      any_ok = any_ok || r.status == PerfStatus::Ok;
      any_fail = any_fail || r.status == PerfStatus::Fail;
    }
    return any_fail ? kExitFail : any_ok ? kExitOk : kExitSkip;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "dirty_log_perf: %s\n", e.what());
    return kExitUsage;
  } catch (const SkipError& e) {
    std::printf("dirty_log_perf: skip: %s\n", e.what());
    return kExitSkip;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dirty_log_perf: %s\n", e.what());
    return kExitFail;
  }
}
