// dirty_log_perf's command line: the kernel's dirty_log_perf_test options
// with the same meanings, plus -M (which collection interfaces), -c, -u and
// --json. Parsing is separate from running so unit tests can check it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dirtyscope/host_memory.hpp"
#include "dirtyscope/x86/guest_image.hpp"

namespace dirtyscope::bench {

// The interfaces dirty_log_perf compares, in -M all order (a contract:
// they are the JSON's mode names).
const std::vector<std::string>& perf_modes();

struct PerfOptions {
  uint64_t bytes_per_vcpu = 1ULL << 30;  // -b
  uint32_t vcpus = 1;                    // -v
  uint32_t iterations = 2;               // -i, at least 2 as in the kernel test
  bool manual_protect = true;            // -g turns it off
  Backing backing = Backing::Anonymous;  // -s
  uint32_t memslots = 1;                 // -x
  uint64_t write_fraction = 1;           // -f: write 1/N of the pages
  bool overlap = false;                  // -o: every vCPU touches all memory
  bool run_while_disabling = false;      // -e
  uint64_t gpa = 4ULL << 30;             // -p
  uint32_t ring_entries = 65536;         // -c
  GuestCpl cpl = kDefaultGuestCpl;  // -u (x86: CPL3, arm64: EL1)
  std::vector<std::string> modes;        // -M, expanded
  std::string json_path;                 // --json
  std::optional<std::string> stats_source;  // --stats [--stats-source bpf|kmod|auto]
  // --inject drop-dirty: drop one collected page per pass, so the exact
  // page-count check must fail (its negative twin, as in dirty_log_test).
  bool inject_drop_dirty = false;
  bool help = false;                     // -h

  uint64_t total_bytes() const { return bytes_per_vcpu * vcpus; }
  // Pages one vCPU's pass covers (all of memory with -o).
  uint64_t pages_per_vcpu() const { return (overlap ? total_bytes() : bytes_per_vcpu) / 4096; }
};

// Throws dirtyscope::UsageError with a one-line message for bad input.
PerfOptions parse_perf_options(int argc, char** argv);
std::string perf_usage(const char* argv0);

}  // namespace dirtyscope::bench
