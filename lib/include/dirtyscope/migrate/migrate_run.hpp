// `dirtyscope migrate`'s engine: one pre-copy live migration of a running
// workload VM into a second process, per dirty-tracking mode.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "dirtyscope/migrate/migrate_options.hpp"
#include "dirtyscope/migrate/migrate_result.hpp"

namespace dirtyscope::migrate {

// Forks the destination, runs the source here; the destination process
// dies with this one (PR_SET_PDEATHSIG). `diag` gets one line per round.
// Never throws for a run that failed or skipped: the result says so.
MigrateResult migrate_mode(const MigrateOptions& options, uint64_t run_seed,
                           const std::function<void(const std::string&)>& diag);

// The results as one JSON object, with the options they ran with (the mode
// field aside); keys are a contract (docs/json-format.md).
void write_json(std::ostream& out, const MigrateOptions& options, const std::vector<MigrateResult>& results);
// One row per mode: rounds, pages and MB sent, times, checksums, resume.
std::string summary_table(const std::vector<MigrateResult>& results);

}  // namespace dirtyscope::migrate
