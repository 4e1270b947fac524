#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "dirty_log_test_options.hpp"
#include "testing/argv.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/kvm_system.hpp"
#include "dirtyscope/size_parse.hpp"

using namespace dirtyscope;

namespace {
TestOptions parse(std::initializer_list<const char*> args) {
  return dirtyscope::testing::parse_args("dirty_log_test", args, parse_test_options);
}
std::string usage_error(std::initializer_list<const char*> args) {
  return dirtyscope::testing::usage_error_of("dirty_log_test", args, parse_test_options);
}
}  // namespace

TEST(Options, KernelDefaults) {
  TestOptions t = parse({});
  EXPECT_EQ(t.run.iterations, 32u);
  EXPECT_EQ(t.run.interval_ms, 10u);
  // 1 GiB plus 3 pages, as the kernel's test: 262147 pages, so the slot's
  // last bitmap word is partial.
  EXPECT_EQ(t.run.guest.test_size, (1ULL << 30) + 3 * 4096);
  EXPECT_NE(t.run.guest.test_size / 4096 % 64, 0u);
  EXPECT_EQ(t.run.guest.cpl, x86::GuestCpl::User);
  EXPECT_EQ(t.modes.size(), all_modes().size());
}

TEST(Options, DefaultSizeTailOnlyWithoutDashB) {
  // An explicit -b is used exactly, 1G included.
  EXPECT_EQ(parse({"-b", "1G"}).run.guest.test_size, 1ULL << 30);
  EXPECT_EQ(parse({"-b", "16M", "-x", "3"}).run.guest.test_size, 16ULL << 20);
  // The tail does not depend on where -b would have been on the line.
  EXPECT_EQ(parse({"-x", "3", "-v", "2"}).run.guest.test_size, (1ULL << 30) + 3 * 4096);
  EXPECT_EQ(parse({"-s", "shmem"}).run.guest.test_size, (1ULL << 30) + 3 * 4096);
  // 2 MiB backings: whole huge pages, so exactly 1 GiB (3 small pages would
  // not be a multiple of their page), and no usage error.
  EXPECT_EQ(parse({"-s", "anonymous_hugetlb"}).run.guest.test_size, 1ULL << 30);
  EXPECT_EQ(parse({"-s", "anonymous_thp"}).run.guest.test_size, 1ULL << 30);
}

TEST(Options, ParsesEveryFlag) {
  TestOptions t = parse({"-M", "clear-log", "-i", "6", "-I", "20", "-b", "256M", "-v", "2", "-x", "2",
                         "-s", "shmem", "-u", "0", "--seed", "7", "--json", "o.json", "--inject",
                         "drop-dirty", "-c", "1024", "-p", "0x80000000", "-m", "0"});
  EXPECT_EQ(t.modes, std::vector<std::string>{"clear-log"});
  EXPECT_EQ(t.run.iterations, 6u);
  EXPECT_EQ(t.run.interval_ms, 20u);
  EXPECT_EQ(t.run.guest.test_size, 256ULL << 20);
  EXPECT_EQ(t.run.guest.vcpus, 2u);
  EXPECT_EQ(t.run.guest.memslots, 2u);
  EXPECT_EQ(t.run.guest.backing, Backing::Shmem);
  EXPECT_EQ(t.run.guest.cpl, x86::GuestCpl::Kernel);
  EXPECT_EQ(t.run.guest.seed, 7u);
  EXPECT_EQ(*t.json_path, "o.json");
  EXPECT_EQ(t.run.injection, Injection::DropDirty);
  EXPECT_EQ(t.run.ring_entries, 1024u);
  EXPECT_EQ(t.run.guest.test_gpa, 0x80000000u);
}

TEST(Options, StallTimeoutInSeconds) {
  EXPECT_EQ(parse({}).run.stall_timeout, std::chrono::seconds(60));
  EXPECT_EQ(parse({"--stall-timeout", "20"}).run.stall_timeout, std::chrono::seconds(20));
  EXPECT_NE(usage_error({"--stall-timeout", "0"}).find("--stall-timeout"), std::string::npos);
  EXPECT_NE(usage_error({"--inject", "hide-ring", "--stall-timeout", "x"}).find("--stall-timeout"), std::string::npos);
  EXPECT_EQ(parse({"--inject", "hide-ring"}).run.injection, Injection::HideRing);
}

// Only ring modes issue KVM_RESET_DIRTY_RINGS: a bitmap mode named with
// --reset-signals is a usage error; -M all keeps every mode (the runner
// signals only the ring ones).
TEST(Options, ResetSignalsRingModesOnly) {
  EXPECT_FALSE(parse({}).run.reset_signals);
  for (const char* ring : {"dirty-ring", "dirty-ring-wait", "ring-with-bitmap"}) {
    const TestOptions t = parse({"-M", ring, "--reset-signals"});
    EXPECT_TRUE(t.run.reset_signals) << ring;
    EXPECT_EQ(t.modes, std::vector<std::string>{ring});
  }
  for (const char* bitmap : {"dirty-log", "clear-log"})
    EXPECT_EQ(usage_error({"-M", bitmap, "--reset-signals"}),
              std::string("--reset-signals: mode '") + bitmap + "' has no dirty ring (ring modes only)");
  const TestOptions all = parse({"--reset-signals"});
  EXPECT_TRUE(all.run.reset_signals);
  EXPECT_EQ(all.modes.size(), all_modes().size());
  EXPECT_NE(test_usage("dirty_log_test").find("--reset-signals"), std::string::npos);
  EXPECT_EQ(usage_error({"-M", "dirty-ring", "--reset-signals", "--stats"}),
            "--reset-signals cannot be combined with --stats (interrupted resets visit only some rings)");
}

// Decided while parsing, before /dev/kvm: a named mode that cannot do the
// fault is a usage error; -M all keeps only the modes that can.
TEST(Options, InjectionAModeCannotDoIsAUsageError) {
  EXPECT_EQ(usage_error({"-M", "dirty-log", "--inject", "wrong-slot"}),
            "--inject wrong-slot cannot fire in dirty-log: only dirty-ring, dirty-ring-wait, ring-with-bitmap have it");
  EXPECT_EQ(usage_error({"-M", "dirty-ring", "--inject", "skip-clear"}),
            "--inject skip-clear cannot fire in dirty-ring: only dirty-log, clear-log have it");
  for (const char* ring_only : {"skip-reset", "wrong-slot", "hide-ring"})
    for (const char* bitmap : {"dirty-log", "clear-log"})
      EXPECT_FALSE(usage_error({"-M", bitmap, "--inject", ring_only}).empty()) << bitmap << " " << ring_only;
  // Its twins: every mode that can do the fault parses.
  EXPECT_EQ(parse({"-M", "clear-log", "--inject", "skip-clear"}).modes, std::vector<std::string>{"clear-log"});
  EXPECT_EQ(parse({"-M", "ring-with-bitmap", "--inject", "hide-ring"}).modes,
            std::vector<std::string>{"ring-with-bitmap"});
}

TEST(Options, AllModesWithAnInjectionRunsOnlyThoseThatCanDoIt) {
  const TestOptions ring = parse({"--inject", "skip-reset"});
  EXPECT_EQ(ring.modes, (std::vector<std::string>{"dirty-ring", "dirty-ring-wait", "ring-with-bitmap"}));
  EXPECT_EQ(ring.left_out, (std::vector<std::string>{"dirty-log", "clear-log"}));
  const TestOptions bitmap = parse({"-M", "all", "--inject", "skip-clear"});
  EXPECT_EQ(bitmap.modes, (std::vector<std::string>{"dirty-log", "clear-log"}));
  const TestOptions every = parse({"--inject", "drop-dirty"});
  EXPECT_EQ(every.modes.size(), all_modes().size());
  EXPECT_TRUE(every.left_out.empty());
  EXPECT_TRUE(parse({}).left_out.empty());
}

TEST(Options, BadInputNamesTheValue) {
  EXPECT_NE(usage_error({"-M", "nonsense"}).find("'nonsense'"), std::string::npos);
  EXPECT_NE(usage_error({"-c", "1000"}).find("not a power of two"), std::string::npos);
  EXPECT_NE(usage_error({"-b", "12Q"}).find("suffix"), std::string::npos);
  EXPECT_NE(usage_error({"-b", "3M", "-s", "anonymous_thp"}).find("multiple of 2M"), std::string::npos);
  EXPECT_NE(usage_error({"-u", "2"}).find("0 or 3"), std::string::npos);
  EXPECT_NE(usage_error({"-s", "floppy"}).find("'floppy'"), std::string::npos);
  EXPECT_NE(usage_error({"--inject", "gremlins"}).find("'gremlins'"), std::string::npos);
  EXPECT_NE(usage_error({"-i", "0"}).find("between 1"), std::string::npos);
  EXPECT_NE(usage_error({"-m", "1"}).find("-m"), std::string::npos);
  EXPECT_NE(usage_error({"-p", "0x1000"}).find("2 MiB"), std::string::npos);
  EXPECT_NE(usage_error({"-i"}).find("needs a value"), std::string::npos);
  EXPECT_NE(usage_error({"extra"}).find("'extra'"), std::string::npos);
}

TEST(SizeParse, Units) {
  EXPECT_EQ(parse_size("-b", "4K"), 4096u);
  EXPECT_EQ(parse_size("-b", "1G"), 1ULL << 30);
  EXPECT_EQ(parse_size("-b", "0x1000"), 4096u);
  EXPECT_THROW(parse_size("-b", "-1"), UsageError);
  EXPECT_THROW(parse_size("-b", "99999999999T"), UsageError);
  EXPECT_EQ(format_size(256ULL << 20), "256M");
  EXPECT_EQ(format_size(4097), "4097");
}

TEST(KvmSystem, MissingDeviceIsASkipNamingIt) {
  try {
    KvmSystem::open("/nonexistent/kvm");
    FAIL() << "opened a missing device";
  } catch (const SkipError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/kvm does not exist"), std::string::npos);
  }
}
