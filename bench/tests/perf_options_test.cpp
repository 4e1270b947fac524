// dirty_log_perf's flags: the kernel test's defaults, and bad input
// rejected with a UsageError that names the value.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "dirtyscope/error.hpp"
#include "perf_options.hpp"
#include "testing/argv.hpp"

using namespace dirtyscope;
using namespace dirtyscope::bench;

namespace {
PerfOptions parse(std::initializer_list<const char*> args) {
  return dirtyscope::testing::parse_args("dirty_log_perf", args, parse_perf_options);
}
std::string error_of(std::initializer_list<const char*> args) {
  return dirtyscope::testing::usage_error_of("dirty_log_perf", args, parse_perf_options);
}
}  // namespace

TEST(PerfOptions, KernelDefaults) {
  PerfOptions o = parse({});
  EXPECT_EQ(o.bytes_per_vcpu, 1ULL << 30);
  EXPECT_EQ(o.vcpus, 1u);
  EXPECT_EQ(o.iterations, 2u);
  EXPECT_TRUE(o.manual_protect);
  EXPECT_EQ(o.write_fraction, 1u);
  EXPECT_FALSE(o.overlap);
  EXPECT_EQ(o.modes, perf_modes());
  EXPECT_EQ(o.cpl, x86::GuestCpl::User);
  EXPECT_FALSE(o.inject_drop_dirty);
}

TEST(PerfOptions, InjectDropDirtyOnly) {
  EXPECT_TRUE(parse({"--inject", "drop-dirty"}).inject_drop_dirty);
  EXPECT_NE(error_of({"--inject", "skip-reset"}).find("'skip-reset' unknown"), std::string::npos);
}

TEST(PerfOptions, FlagsMapToFields) {
  PerfOptions o = parse({"-b", "256M", "-v", "2", "-i", "3", "-g", "-f", "16", "-o", "-e", "-x", "2", "-M",
                         "dirty-ring", "-c", "4096", "-u", "0", "-s", "anonymous_thp", "--json", "x.json"});
  EXPECT_EQ(o.bytes_per_vcpu, 256ULL << 20);
  EXPECT_EQ(o.total_bytes(), 512ULL << 20);
  EXPECT_EQ(o.pages_per_vcpu(), 2u * 65536);  // -o: every vCPU passes over all memory
  EXPECT_FALSE(o.manual_protect);
  EXPECT_EQ(o.write_fraction, 16u);
  EXPECT_TRUE(o.run_while_disabling);
  EXPECT_EQ(o.modes, std::vector<std::string>{"dirty-ring"});
  EXPECT_EQ(o.ring_entries, 4096u);
  EXPECT_EQ(o.cpl, x86::GuestCpl::Kernel);
  EXPECT_EQ(o.json_path, "x.json");
}

TEST(PerfOptions, BadInputNamesTheValue) {
  EXPECT_NE(error_of({"-i", "1"}).find("at least 2"), std::string::npos);
  EXPECT_NE(error_of({"-c", "1000"}).find("not a power of two"), std::string::npos);
  EXPECT_NE(error_of({"-M", "bitmap"}).find("unknown mode 'bitmap'"), std::string::npos);
  EXPECT_NE(error_of({"-s", "tmpfs"}).find("unknown backing 'tmpfs'"), std::string::npos);
  EXPECT_NE(error_of({"-m", "1"}), "");
  EXPECT_NE(error_of({"-b", "1000"}).find("multiple of 4K"), std::string::npos);
  EXPECT_NE(error_of({"-p", "0x100001000"}).find("2 MiB"), std::string::npos);
  EXPECT_NE(error_of({"-n"}).find("unknown option -n"), std::string::npos);
  EXPECT_NE(error_of({"-x", "3", "-b", "2M"}).find("multiple of"), std::string::npos);
}
