// Live: `dirty_log_perf -M all -v 1 -b 256M -i 3 --json` on this kernel,
// then the JSON contract: every mode present, ran (or skipped naming a
// capability), with per-iteration timings and pages_collected > 0. No
// timing is asserted: performance is printed, never tested.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "dirtyscope/json_value.hpp"

using namespace dirtyscope;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST(DirtyLogPerfLive, AllModesJsonContract) {
  if (access("/dev/kvm", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/kvm unavailable";
  const std::string json = ::testing::TempDir() + "dirty_log_perf_live.json";
  const std::string cmd = std::string(DIRTY_LOG_PERF) + " -M all -v 1 -b 256M -i 3 --json " + json;
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 4) GTEST_SKIP() << "every mode skipped";
  ASSERT_EQ(WEXITSTATUS(status), 0) << cmd;

  JsonValue doc = JsonValue::parse(slurp(json));
  EXPECT_EQ(doc.at("tool").string(), "dirty_log_perf");
  EXPECT_EQ(doc.at("config").at("iterations").number(), 3);
  EXPECT_EQ(doc.at("config").at("bytes_per_vcpu").number(), 256.0 * (1 << 20));
  int seen = 0;
  for (const auto& m : doc.at("modes").array()) {
    const std::string mode = m.at("mode").string();
    ++seen;
    if (m.at("result").string() == "skip") {
      EXPECT_NE(m.at("reason").string().find("KVM_CAP"), std::string::npos) << mode;
      continue;
    }
    EXPECT_EQ(m.at("result").string(), "ok") << mode << ": " << m.at("reason").string();
    for (const char* k : {"populate_ns", "enable_ns", "disable_ns"}) EXPECT_GT(m.at(k).number(), 0) << mode << k;
    const auto& its = m.at("iterations").array();
    ASSERT_EQ(its.size(), 3u) << mode;
    for (const auto& it : its) {
      for (const char* k : {"dirty_ns", "collect_ns", "collect_kernel_ns", "collect_user_ns"})
        EXPECT_TRUE(it.at(k).is_number()) << mode << " " << k;
      EXPECT_GT(it.at("pages_collected").number(), 0) << mode;
      EXPECT_LE(it.at("pages_collected").number(), 65536) << mode;
      EXPECT_LE(it.at("collect_kernel_ns").number(), it.at("collect_ns").number()) << mode;
    }
  }
  EXPECT_EQ(seen, 3);
  std::string modes;
  for (const auto& m : doc.at("modes").array()) modes += m.at("mode").string() + " ";
  EXPECT_EQ(modes, "dirty-log clear-log dirty-ring ");
}
