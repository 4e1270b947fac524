// `dirtyscope report` on fixed JSON: points read per ok mode, skipped
// modes left out, the table's ratios, and a gnuplot script with one line
// per mode in each panel. No gnuplot or KVM needed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "report_common.hpp"
#include "report_data.hpp"
#include "report_plot.hpp"

using namespace dirtyscope::tools;

namespace {
std::string perf_json(const char* size, int f, double dl_ns, double ring_ns, bool ring_skipped = false) {
  std::string ring = ring_skipped
                         ? R"({"mode":"dirty-ring","result":"skip","reason":"KVM_CAP_DIRTY_LOG_RING not supported"})"
                         : std::string(R"({"mode":"dirty-ring","result":"ok","median":{"collect_ns":)") +
                               std::to_string(ring_ns) +
                               R"(,"collect_kernel_ns":1,"collect_user_ns":2,"pages_collected":10}})";
  return std::string(R"({"tool":"dirty_log_perf","config":{"total_bytes":)") + size +
         R"(,"write_fraction":)" + std::to_string(f) +
         R"(},"modes":[{"mode":"dirty-log","result":"ok","median":{"collect_ns":)" + std::to_string(dl_ns) +
         R"(,"collect_kernel_ns":1,"collect_user_ns":2,"pages_collected":10}},)" + ring + "]}";
}
}  // namespace

TEST(Report, ModesPrintInTheKnownOrderThenAsFirstSeen) {
  EXPECT_EQ(ordered_modes({"dirty-ring", "x-new", "dirty-log", "dirty-ring", "y-new", "x-new"}),
            (std::vector<std::string>{"dirty-log", "dirty-ring", "x-new", "y-new"}));
  EXPECT_TRUE(ordered_modes({}).empty());
}

TEST(Report, ReadsOkModesOnly) {
  auto points = parse_report_points(perf_json("268435456", 1, 1e6, 4e6, true), "a.json");
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].mode, "dirty-log");
  EXPECT_DOUBLE_EQ(points[0].pages, 65536);
  EXPECT_DOUBLE_EQ(points[0].dirty_percent(), 100);
}

TEST(Report, RejectsOtherFilesNamingThem) {
  try {
    parse_report_points(R"({"tool":"dirty_log_test","modes":[]})", "run.json");
    FAIL() << "accepted a dirty_log_test file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("run.json"), std::string::npos);
  }
  EXPECT_THROW(parse_report_points("{", "broken.json"), std::runtime_error);
}

TEST(Report, TableHasRatiosToDirtyLog) {
  auto points = parse_report_points(perf_json("268435456", 1, 1e6, 4e6), "a.json");
  auto more = parse_report_points(perf_json("1073741824", 64, 2e6, 1e6), "b.json");
  points.insert(points.end(), more.begin(), more.end());
  const std::string table = report_table(points);
  EXPECT_NE(table.find("256M"), std::string::npos) << table;
  EXPECT_NE(table.find("1G"), std::string::npos) << table;
  EXPECT_NE(table.find("4.00x"), std::string::npos) << table;
  EXPECT_NE(table.find("0.50x"), std::string::npos) << table;
}

TEST(Report, PlotScriptHasAPanelLinePerMode) {
  auto points = parse_report_points(perf_json("268435456", 1, 1e6, 4e6), "a.json");
  auto more = parse_report_points(perf_json("268435456", 16, 1e6, 1e5), "b.json");
  points.insert(points.end(), more.begin(), more.end());
  const std::string png = gnuplot_script(points, "out.png");
  EXPECT_NE(png.find("pngcairo"), std::string::npos);
  EXPECT_NE(png.find("$size_dirty_log"), std::string::npos);
  EXPECT_NE(png.find("$frac_dirty_ring"), std::string::npos);
  EXPECT_NE(png.find("title 'dirty-ring'"), std::string::npos);
  EXPECT_NE(gnuplot_script(points, "out.svg").find("terminal svg"), std::string::npos);
}
