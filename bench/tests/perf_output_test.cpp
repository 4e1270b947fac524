// The JSON contract (bench/README.md) on synthetic results: every key
// `dirtyscope report` and scripts rely on, parsed back, with its value.
#include <gtest/gtest.h>

#include <sstream>

#include "dirtyscope/json_value.hpp"
#include "perf_output.hpp"

using namespace dirtyscope;
using namespace dirtyscope::bench;

namespace {
PerfModeResult ok(const std::string& mode, uint64_t collect) {
  PerfModeResult r;
  r.mode = mode;
  r.populate_ns = 1;
  r.enable_ns = 2;
  r.disable_ns = 3;
  r.iterations = {{1000, collect, collect / 2, collect / 2, 0, 64, 0}, {1000, collect, collect / 2, collect / 2, 0, 64, 0}};
  return r;
}
}  // namespace

TEST(PerfJson, ContractKeysPerMode) {
  PerfOptions o;
  o.bytes_per_vcpu = 256ULL << 20;
  o.iterations = 2;
  std::vector<PerfModeResult> results = {ok("dirty-log", 100), ok("clear-log", 200), ok("dirty-ring", 50)};
  std::ostringstream out;
  write_perf_json(out, o, results);
  JsonValue doc = JsonValue::parse(out.str());

  EXPECT_EQ(doc.at("tool").string(), "dirty_log_perf");
  const JsonValue& config = doc.at("config");
  for (const char* k : {"bytes_per_vcpu", "vcpus", "iterations", "write_fraction", "memslots", "backing",
                        "manual_protect", "overlap", "ring_entries", "guest_cpl", "guest_phys_offset"})
    EXPECT_NE(config.find(k), nullptr) << k;
  EXPECT_EQ(config.at("bytes_per_vcpu").number(), 256.0 * (1 << 20));

  const auto& modes = doc.at("modes").array();
  ASSERT_EQ(modes.size(), 3u);
  for (const auto& m : modes) {
    for (const char* k : {"populate_ns", "enable_ns", "disable_ns"}) EXPECT_TRUE(m.at(k).is_number()) << k;
    const auto& its = m.at("iterations").array();
    ASSERT_EQ(its.size(), 2u);
    for (const auto& it : its)
      for (const char* k : {"dirty_ns", "collect_ns", "collect_kernel_ns", "collect_user_ns", "pages_collected"})
        EXPECT_TRUE(it.at(k).is_number()) << m.at("mode").string() << " " << k;
  }
  EXPECT_EQ(modes[0].at("mode").string(), "dirty-log");
  EXPECT_DOUBLE_EQ(modes[1].at("vs_dirty_log").at("collect").number(), 2.0);
  EXPECT_DOUBLE_EQ(modes[2].at("vs_dirty_log").at("collect").number(), 0.5);
  EXPECT_DOUBLE_EQ(modes[2].at("median").at("collect_ns_per_page").number(), 50.0 / 64);
}

TEST(PerfJson, SkippedModeHasReasonAndNoMedian) {
  PerfOptions o;
  PerfModeResult skip;
  skip.mode = "dirty-ring";
  skip.status = PerfStatus::Skip;
  skip.reason = "KVM_CAP_DIRTY_LOG_RING not supported";
  std::ostringstream out;
  write_perf_json(out, o, {ok("dirty-log", 10), skip});
  JsonValue doc = JsonValue::parse(out.str());
  const JsonValue& m = doc.at("modes").array()[1];
  EXPECT_EQ(m.at("result").string(), "skip");
  EXPECT_EQ(m.at("reason").string(), "KVM_CAP_DIRTY_LOG_RING not supported");
  EXPECT_EQ(m.find("median"), nullptr);
  EXPECT_NE(side_by_side_table(o, {ok("dirty-log", 10), skip}).find("KVM_CAP_DIRTY_LOG_RING"), std::string::npos);
}

TEST(JsonValue, ParsesWhatTheWriterEscapes) {
  JsonValue v = JsonValue::parse(R"({"a":[1,-2.5e3,true,false,null],"s":"q\"\\\n\u0041"})");
  EXPECT_EQ(v.at("a").array().size(), 5u);
  EXPECT_DOUBLE_EQ(v.at("a").array()[1].number(), -2500);
  EXPECT_EQ(v.at("s").string(), "q\"\\\nA");
  EXPECT_THROW(JsonValue::parse("{\"a\":1,}"), JsonParseError);
  EXPECT_THROW(JsonValue::parse("[1 2]"), JsonParseError);
  EXPECT_THROW(JsonValue::parse("{\"a\":1} x"), JsonParseError);
}
