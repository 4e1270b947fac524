// dirtyscope migrate's command line and `dirtyscope report` on its JSON:
// defaults, bad input, medians, the ring/bitmap ratio and the plot script,
// from fixed JSON (no KVM needed).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli.hpp"
#include "migrate_args.hpp"
#include "report_migrate.hpp"

using namespace dirtyscope::tools;

namespace {

MigrateArgs parse(std::vector<std::string> words) {
  words.insert(words.begin(), "migrate");
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  return parse_migrate_args(static_cast<int>(words.size()), argv.data());
}

std::string doc(const std::string& migrations, const std::string& bandwidth = "0") {
  return R"({"tool":"dirtyscope migrate","config":{"memory_bytes":16777216,"vcpus":2,"dirty_pages":64,"bandwidth_mbps":)" +
         bandwidth + R"(},"migrations":[)" + migrations + "]}";
}

std::string migration(const std::string& mode, double total_s, const std::string& outcome = "pass") {
  return R"({"mode":")" + mode + R"(","outcome":")" + outcome + R"(","total_s":)" + std::to_string(total_s) +
         R"(,"downtime_ms":100,"collect_ms":10,"collect_kernel_ms":5,"pages_sent":4096,"live_rounds":2,)"
         R"("remaining_per_round":[900,120]})";
}

}  // namespace

TEST(MigrateArgs, DefaultsAreEveryModeAt64MiBWithTwoVcpus) {
  const MigrateArgs a = parse({});
  EXPECT_EQ(a.modes.front(), "dirty-log");
  EXPECT_GE(a.modes.size(), 4u);
  EXPECT_EQ(a.options.guest.test_size, 64ULL << 20);
  EXPECT_EQ(a.options.guest.vcpus, 2u);
  EXPECT_EQ(a.options.injection, dirtyscope::migrate::MigrateInjection::None);
}

TEST(MigrateArgs, ModeListsInjectionsAndBandwidth) {
  const MigrateArgs a = parse({"-M", "dirty-log,dirty-ring", "--inject", "skip-round", "--bandwidth", "12.5"});
  EXPECT_EQ(a.modes, (std::vector<std::string>{"dirty-log", "dirty-ring"}));
  EXPECT_EQ(a.options.injection, dirtyscope::migrate::MigrateInjection::SkipRound);
  EXPECT_DOUBLE_EQ(a.options.bandwidth_mbps, 12.5);
}

TEST(MigrateArgs, BadInputIsAUsageErrorNamingTheFlag) {
  const std::vector<std::vector<std::string>> bad = {
      {"-M", "dirty-log,nope"}, {"--inject", "lose-everything"}, {"-v", "0"}, {"-b", "4K", "-v", "2"},
      {"--bandwidth", "-1"},    {"--threshold"},                 {"stray"}};
  for (const auto& words : bad) {
    SCOPED_TRACE(words.front());
    EXPECT_THROW(parse(words), UsageError);
  }
}

// skip-reset needs a collector whose harvest and re-protection are
// separate calls: named bitmap modes are a usage error, -M all keeps the
// ring modes.
TEST(MigrateArgs, SkipResetOnlyWhereItCanFire) {
  EXPECT_THROW(parse({"-M", "dirty-log", "--inject", "skip-reset"}), UsageError);
  EXPECT_THROW(parse({"-M", "dirty-ring,clear-log", "--inject", "skip-reset"}), UsageError);
  try {
    parse({"-M", "clear-log", "--inject", "skip-reset"});
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--inject skip-reset cannot fire in clear-log"), std::string::npos)
        << e.what();
  }
  const MigrateArgs all = parse({"--inject", "skip-reset"});
  EXPECT_EQ(all.modes, (std::vector<std::string>{"dirty-ring", "dirty-ring-wait", "ring-with-bitmap"}));
  EXPECT_EQ(all.left_out, (std::vector<std::string>{"dirty-log", "clear-log"}));
  EXPECT_EQ(parse({"-M", "dirty-ring-wait", "--inject", "skip-reset"}).modes,
            std::vector<std::string>{"dirty-ring-wait"});
  EXPECT_EQ(parse({"--inject", "drop-page"}).modes.size(), 5u);
}

TEST(MigrateReport, RecognisesItsJsonAndNotOthers) {
  EXPECT_TRUE(is_migrate_json(doc(migration("dirty-log", 1))));
  EXPECT_FALSE(is_migrate_json(R"({"tool":"dirty_log_perf"})"));
  EXPECT_FALSE(is_migrate_json("not json"));
}

TEST(MigrateReport, FailedRunsAreLeftOut) {
  const auto runs = parse_migration_runs(doc(migration("dirty-log", 1) + "," + migration("dirty-ring", 9, "fail")), "f");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].mode, "dirty-log");
  EXPECT_EQ(runs[0].remaining, (std::vector<double>{900, 120}));
}

TEST(MigrateReport, MediansAndRingOverBitmapRatio) {
  std::vector<MigrationRun> runs;
  for (double t : {1.0, 3.0, 2.0}) {
    auto more = parse_migration_runs(doc(migration("dirty-log", t) + "," + migration("dirty-ring", t * 2)), "f");
    runs.insert(runs.end(), more.begin(), more.end());
  }
  const std::string table = migration_table(runs);
  // Median of 1, 2, 3 is 2 for the bitmap, 4 for the ring: ratio 2.00.
  EXPECT_NE(table.find("dirty-log"), std::string::npos) << table;
  EXPECT_NE(table.find("   2.000"), std::string::npos) << table;
  EXPECT_NE(table.find("   4.000"), std::string::npos) << table;
  const size_t ratio = table.find("ring/bitmap");
  ASSERT_NE(ratio, std::string::npos) << table;
  EXPECT_NE(table.find("2.00", ratio), std::string::npos) << table;
}

TEST(MigrateReport, ConfigurationsStaySeparate) {
  auto runs = parse_migration_runs(doc(migration("dirty-log", 1)), "a");
  auto capped = parse_migration_runs(doc(migration("dirty-log", 5), "100"), "b");
  runs.insert(runs.end(), capped.begin(), capped.end());
  const std::string table = migration_table(runs);
  EXPECT_NE(table.find("unlimited"), std::string::npos) << table;
  EXPECT_NE(table.find("100MB/s"), std::string::npos) << table;
}

TEST(MigrateReport, PlotHasALinePerModeWithEveryRound) {
  const auto runs = parse_migration_runs(doc(migration("dirty-log", 1) + "," + migration("dirty-ring", 2)), "f");
  const std::string s = convergence_script(runs, "out.svg");
  EXPECT_NE(s.find("set terminal svg"), std::string::npos);
  EXPECT_NE(s.find("title 'dirty-log'"), std::string::npos) << s;
  EXPECT_NE(s.find("title 'dirty-ring'"), std::string::npos) << s;
  EXPECT_NE(s.find("1 900\n2 120\n"), std::string::npos) << s;
  EXPECT_THROW(convergence_script({}, "x.png"), std::runtime_error);
}
