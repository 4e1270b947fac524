// `dirtyscope report` on `dirtyscope migrate --json` files: medians per
// configuration and mode (migration time, downtime, collection CPU), the
// ring-to-bitmap ratios, and a convergence plot (remaining dirty pages per
// round, a line per mode, in one picture).
#pragma once

#include <string>
#include <vector>

namespace dirtyscope::tools {

struct MigrationRun {
  std::string file;
  std::string mode;
  double memory_mib = 0;
  double vcpus = 0;
  double dirty_pages = 0;     // per vCPU per period
  double bandwidth_mbps = 0;  // 0: unlimited
  double total_s = 0, downtime_ms = 0, collect_ms = 0, collect_kernel_ms = 0;
  double pages_sent = 0, live_rounds = 0;
  std::vector<double> remaining;  // pages collected per live round
  // The configuration the medians group by, readable.
  std::string config() const;
};

// True when `json` is a dirtyscope migrate --json document.
bool is_migrate_json(const std::string& json);
// The passing migrations of one file (failed and skipped ones are left
// out: a time of a broken run means nothing). Throws naming the file.
std::vector<MigrationRun> parse_migration_runs(const std::string& json, const std::string& name);
// Per configuration and mode: runs, median rounds, MB sent, total s,
// downtime ms, collect ms; then per configuration dirty-ring / dirty-log.
std::string migration_table(const std::vector<MigrationRun>& runs);
// gnuplot program: per mode, the remaining dirty pages per round of its
// first run in the largest configuration.
std::string convergence_script(const std::vector<MigrationRun>& runs, const std::string& output);

}  // namespace dirtyscope::tools
