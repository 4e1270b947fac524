// spp_test's cases. Each runs rounds of the guest's store plan on an
// SppSession and compares what happened with what SPP's rule says must:
// which stores exited, every violation, the counts, memory, and what the
// guest read back. A failure names the store and its sub-page.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dirtyscope/spp/spp_session.hpp"

namespace dirtyscope {

struct SppCaseResult {
  std::string name;
  std::vector<std::string> failures;  // empty: passed
  std::vector<std::string> notes;     // numbers worth printing as KTAP diagnostics
  std::string skipped;                // non-empty: not run, and why
};

// Vector for guard page `page` of vCPU `v` (kSppFullAccess: unprotected).
using VectorOf = std::function<uint32_t(uint32_t v, uint64_t page)>;

// Sets every guard page's vector, runs one round, checks it store by store.
SppCaseResult static_case(SppSession& s, const std::string& name, uint64_t round, const VectorOf& vector_of);
// Vectors change while the vCPUs store, rounds repeat until enough
// changes fell inside rounds; stores outside a change's window are judged.
SppCaseResult runtime_case(SppSession& s, uint64_t first_round);
// Everything unprotected again: the memslots merge back and no store exits.
SppCaseResult lift_case(SppSession& s, uint64_t round);

// The vectors spp_test sets, by case name.
uint32_t random_vector(uint64_t seed, uint32_t v, uint64_t page);

}  // namespace dirtyscope
