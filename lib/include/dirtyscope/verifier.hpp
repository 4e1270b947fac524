// The verifier: decides from page contents and what a collector reported
// whether any dirty page was missed. It is the product; see DESIGN.md.
//
// Protocol it relies on (enforced by the runner): in iteration k every guest
// write stores k at the start of a page; vCPUs are paused before the last
// collection of an iteration, and k changes only while they are paused. So
// after iteration k's last collection, with R = every page reported in it:
//   1. stamp(p) == k  =>  p in R        (else: a dirty page was MISSED)
//   2. p in R         =>  stamp(p) == k (else: STALE report - the page was
//                                        not written since it was last
//                                        collected, e.g. never re-protected)
//   3. stamp(p) <= k                    (else: memory holds a FUTURE stamp)
// Rule 2 is stricter than the kernel's dirty_log_test, which accepts k-1
// because it collects while the vCPU still runs.
//
// Before iteration 1 nothing has been written (stamp 0); what must be
// reported then depends on KVM_DIRTY_LOG_INITIALLY_SET: all pages or none.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dirtyscope/dirty_set.hpp"

namespace dirtyscope {

enum class Offense { Missed, Stale, Future, InitialMissing, InitialUnexpected };
const char* offense_name(Offense o);

struct OffendingPage {
  Offense kind;
  uint64_t page;    // region page
  uint64_t stamp;   // what the page held
  uint64_t writer;  // vCPU index + 1 that last wrote it; 0 = never written
};

// Read-only view of the stamps: the region's memory, one u64 per 4 KiB page.
struct StampView {
  const uint8_t* base;
  uint64_t pages;
  uint64_t stamp(uint64_t page) const {
    return *reinterpret_cast<const volatile uint64_t*>(base + page * 4096);
  }
  uint64_t writer(uint64_t page) const {
    return *reinterpret_cast<const volatile uint64_t*>(base + page * 4096 + 8);
  }
};

struct Verdict {
  static constexpr size_t kMaxListed = 10;
  uint64_t iteration = 0;
  uint64_t reported = 0;  // pages in R
  uint64_t clean = 0;     // pages not in R
  uint64_t written = 0;   // pages holding this iteration's stamp
  uint64_t missed = 0, stale = 0, future = 0, initial_wrong = 0;
  std::vector<OffendingPage> first;  // the first kMaxListed offences, page order
  std::map<uint64_t, uint64_t> missed_by_writer;  // writer tag -> missed pages

  bool ok() const { return missed + stale + future + initial_wrong == 0; }
  std::string summary() const;  // "missed 1, stale 0, future 0"
};

Verdict verify_iteration(uint64_t iteration, const StampView& stamps, const DirtySet& reported);
// Before any guest write: `expect_all` is KVM_DIRTY_LOG_INITIALLY_SET.
Verdict verify_initial(const StampView& stamps, const DirtySet& reported, bool expect_all);

}  // namespace dirtyscope
