// Live: `dirty_log_perf -M all ... --json` on this kernel, then the JSON
// contract: every mode present, ran (or skipped naming a capability), with
// per-iteration timings, and every iteration collected exactly the pages
// the guest wrote in its pass (all of them in the first pass when
// KVM_DIRTY_LOG_INITIALLY_SET is on). No timing is asserted: performance
// is printed, never tested.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <optional>
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

// The build's dirty_log_perf, or the one beside this binary where the
// build tree is not there (the nested VM copies test binaries to /tests).
std::string dirty_log_perf() {
  if (access(DIRTY_LOG_PERF, X_OK) == 0) return DIRTY_LOG_PERF;
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return DIRTY_LOG_PERF;
  std::string dir(self, static_cast<size_t>(n));
  return dir.substr(0, dir.rfind('/') + 1) + "dirty_log_perf";
}

// Runs dirty_log_perf with `args` and returns its JSON document, or nullopt
// when every mode skipped (the test then skips).
std::optional<JsonValue> run_perf(const std::string& args, const std::string& name) {
  const std::string json = ::testing::TempDir() + name + ".json";
  const std::string cmd = dirty_log_perf() + " " + args + " --json " + json;
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status)) << cmd;
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 4) return std::nullopt;
  EXPECT_EQ(WEXITSTATUS(status), 0) << cmd;
  return JsonValue::parse(slurp(json));
}

// Every iteration of every mode that ran collected exactly `written` pages;
// the first collects `all_pages` when the mode starts with every page dirty.
void expect_exact_pages(const JsonValue& doc, uint64_t written, uint64_t all_pages) {
  for (const auto& m : doc.at("modes").array()) {
    const std::string mode = m.at("mode").string();
    if (m.at("result").string() == "skip") continue;
    EXPECT_EQ(m.at("result").string(), "ok") << mode << ": " << m.at("reason").string();
    const bool initially_set = m.at("variant").string().find("KVM_DIRTY_LOG_INITIALLY_SET") != std::string::npos;
    const auto& its = m.at("iterations").array();
    for (size_t i = 0; i < its.size(); ++i)
      EXPECT_EQ(its[i].at("pages_collected").number(), static_cast<double>(i == 0 && initially_set ? all_pages : written))
          << mode << " iteration " << i + 1;
  }
}
}  // namespace

TEST(DirtyLogPerfLive, AllModesJsonContract) {
  if (access("/dev/kvm", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/kvm unavailable";
  // 16384 pages through an 8192-entry ring: each pass fills the ring, so
  // ring-full exits are part of what must still collect exactly.
  const auto result = run_perf("-M all -v 1 -b 64M -c 8192 -i 3", "dirty_log_perf_live");
  if (HasFailure()) return;
  if (!result) GTEST_SKIP() << "every mode skipped";
  const JsonValue& doc = *result;
  EXPECT_EQ(doc.at("tool").string(), "dirty_log_perf");
  EXPECT_EQ(doc.at("config").at("iterations").number(), 3);
  EXPECT_EQ(doc.at("config").at("bytes_per_vcpu").number(), 64.0 * (1 << 20));
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
      EXPECT_LE(it.at("collect_kernel_ns").number(), it.at("collect_ns").number()) << mode;
      if (mode == "dirty-ring") {
        EXPECT_GT(it.at("ring_full_exits").number(), 0) << "the ring never filled";
      }
    }
  }
  EXPECT_EQ(seen, 3);
  // 64 MiB, one vCPU writing every page: 16384 pages in every pass.
  expect_exact_pages(doc, 16384, 16384);
  std::string modes;
  for (const auto& m : doc.at("modes").array()) modes += m.at("mode").string() + " ";
  EXPECT_EQ(modes, "dirty-log clear-log dirty-ring ");
}

// -f 3 with two vCPUs: each writes pages 0, 3, 6, ... of its own 8192
// (2731 pages), so a pass writes 5462 of the 16384; the pages only read
// must not be reported.
TEST(DirtyLogPerfLive, EveryThirdPageTwoVcpusExact) {
  if (access("/dev/kvm", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/kvm unavailable";
  const auto doc = run_perf("-M all -v 2 -b 32M -i 3 -f 3", "dirty_log_perf_stride");
  if (HasFailure()) return;
  if (!doc) GTEST_SKIP() << "every mode skipped";
  expect_exact_pages(*doc, 2 * 2731, 16384);
}

// -o: both vCPUs pass over all 8192 pages writing every second one, the
// same 4096 pages: each counts once.
TEST(DirtyLogPerfLive, OverlappingVcpusCountEachPageOnce) {
  if (access("/dev/kvm", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/kvm unavailable";
  const auto doc = run_perf("-M all -v 2 -o -b 16M -i 3 -f 2", "dirty_log_perf_overlap");
  if (HasFailure()) return;
  if (!doc) GTEST_SKIP() << "every mode skipped";
  expect_exact_pages(*doc, 4096, 8192);
}

// The negative twin: a collection that lost one page fails the run (exit
// 1), naming the mode, the pass and both counts.
TEST(DirtyLogPerfLive, DroppedPageFailsNamingModePassAndCounts) {
  if (access("/dev/kvm", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/kvm unavailable";
  const std::string out = ::testing::TempDir() + "dirty_log_perf_drop.out";
  const std::string cmd = dirty_log_perf() + " -M dirty-log -v 1 -b 16M -i 2 --inject drop-dirty >" + out + " 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << cmd;
  const std::string text = slurp(out);
  EXPECT_EQ(WEXITSTATUS(status), 1) << cmd << "\n" << text;
  EXPECT_NE(text.find("dirty-log: pass 1: collected 4095 pages, the guest wrote 4096: 1 missing"), std::string::npos)
      << text;
}
