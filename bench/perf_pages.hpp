// What one dirty_log_perf pass must collect: the pages the perf guest
// wrote. Each vCPU writes the first page of its region and every
// stride-th after it (-f), reading the rest; with -o the regions are the
// same memory, so a page counts once however many vCPUs wrote it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dirtyscope/dirty_set.hpp"

namespace dirtyscope::bench {

// One vCPU's share of a pass, in region pages (test memory page numbers).
struct PassRegion {
  uint64_t first_page = 0;
  uint64_t pages = 0;
  uint64_t stride = 1;  // 0 means 1, as in the guest
};

// Pages one vCPU writes per pass (the guest adds this to its `writes`).
uint64_t writes_in_pass(const PassRegion& r);
// The distinct pages a pass writes, as a set over `region_pages` pages.
DirtySet pages_written(uint64_t region_pages, const std::vector<PassRegion>& regions);

// nullopt when `collected` is exactly `expected`; else one line naming the
// mode, the pass, both counts and the first missing and extra page. Equal
// counts with different pages still fail. `expected_what` says where the
// expected set came from ("the guest wrote", ...).
std::optional<std::string> compare_pass_pages(const std::string& mode, uint32_t pass, const DirtySet& expected,
                                              const std::string& expected_what, const DirtySet& collected);

}  // namespace dirtyscope::bench
