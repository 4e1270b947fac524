// `dirtyscope migrate`: one pre-copy migration per mode, a line per round,
// a verdict per mode naming the pages that differ, then a table (and JSON).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "commands.hpp"
#include "dirtyscope/migrate/migrate_run.hpp"
#include "dirtyscope/text_list.hpp"
#include "migrate_args.hpp"
#include "report_migrate.hpp"
#include "report_plot.hpp"

namespace dirtyscope::tools {

namespace {

void print_verdict(const migrate::MigrateResult& r) {
  std::printf("%s %s: %s\n", outcome_name(r.outcome), r.mode.c_str(),
              r.outcome == Outcome::Pass ? "memory equal on both sides, destination resumed" : r.reason.c_str());
  if (!r.injected.empty()) std::printf("  injected: %s\n", r.injected.c_str());
  if (r.source_sha256.empty()) return;
  std::printf("  sha256 source %s\n  sha256 destin %s\n", r.source_sha256.c_str(), r.destination_sha256.c_str());
  for (const auto& m : r.mismatches) std::printf("  differs: %s\n", m.describe().c_str());
  if (r.mismatched_pages > r.mismatches.size())
    std::printf("  ... and %llu more pages\n", static_cast<unsigned long long>(r.mismatched_pages - r.mismatches.size()));
  for (size_t i = 0; i < r.resumed.size(); ++i) {
    const auto& v = r.resumed[i];
    std::printf("  resumed vCPU %zu: writes %llu -> %llu, self-check %s/%s\n", i,
                static_cast<unsigned long long>(v.writes_at_resume), static_cast<unsigned long long>(v.writes_after),
                v.first_check_ok ? "ok" : "FAILED", v.second_check_ok ? "ok" : "FAILED");
  }
}

// The same picture `dirtyscope report` draws, from this run's results.
void plot(const MigrateArgs& args, const std::vector<migrate::MigrateResult>& results) {
  std::ostringstream json;
  migrate::write_json(json, args.options, results);
  try {
    const auto runs = parse_migration_runs(json.str(), "this run");
    run_gnuplot(convergence_script(runs, args.plot_path), args.plot_path);
    std::printf("plot: %s\n", args.plot_path.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dirtyscope migrate: --plot: %s\n", e.what());
  }
}

}  // namespace

int migrate_main(int argc, char** argv) {
  const MigrateArgs args = parse_migrate_args(argc, argv);
  if (args.help) {
    std::fputs(kMigrateHelp, stdout);
    return kOk;
  }
  if (!args.left_out.empty()) {
    std::string names;
    for (const auto& m : args.left_out) append_item(names, ", ", m);
    std::printf("# --inject %s cannot fire in %s: not run\n", migrate::migrate_injection_name(args.options.injection),
                names.c_str());
  }
  std::vector<migrate::MigrateResult> results;
  for (const std::string& mode : args.modes) {
    migrate::MigrateOptions o = args.options;
    o.mode = mode;
    std::printf("# %s: %s, %u vCPU(s), CPL%d\n", mode.c_str(), std::to_string(o.guest.test_size >> 20).append(" MiB").c_str(),
                o.guest.vcpus, o.guest.cpl == GuestCpl::User ? 3 : 0);
    std::fflush(stdout);
    results.push_back(migrate::migrate_mode(o, args.seed, [](const std::string& line) {
      std::printf("# %s\n", line.c_str());
      std::fflush(stdout);
    }));
    print_verdict(results.back());
  }
  std::printf("\n%s", migrate::summary_table(results).c_str());
  if (!args.json_path.empty()) {
    if (args.json_path == "-") {
      migrate::write_json(std::cout, args.options, results);
    } else {
      std::ofstream f(args.json_path);
      migrate::write_json(f, args.options, results);
      if (!f) throw std::runtime_error("--json: cannot write " + args.json_path);
    }
  }
  if (!args.plot_path.empty()) plot(args, results);
  bool any_fail = false, any_pass = false;
  for (const auto& r : results) {
    any_fail = any_fail || r.outcome == Outcome::Fail;
    any_pass = any_pass || r.outcome == Outcome::Pass;
  }
  return any_fail ? kFailure : any_pass ? kOk : kUnavailable;
}

}  // namespace dirtyscope::tools
