// main() for GoogleTest programs that run where kselftest exit codes are
// read (the nested-VM suite: 0 pass, 4 skip, else fail). Plain gtest
// exits 0 when every test skipped, which such a runner would report as a
// pass. Here a run in which nothing passed and something skipped exits 4,
// and with --no-skip any skip is a failure: for a suite that must really
// run where it is invoked (e.g. with dirtyscope.ko loaded).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

namespace {

constexpr int kExitFail = 1, kExitSkip = 4;

// Removes --no-skip from argv (gtest rejects no unknown flags, but keep
// argv clean for it anyway); returns whether it was there.
bool take_no_skip(int& argc, char** argv) {
  bool found = false;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-skip") == 0) found = true;
    else argv[out++] = argv[i];
  }
  argc = out;
  argv[argc] = nullptr;
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  const bool no_skip = take_no_skip(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  if (rc != 0) return rc;
  if (unit.skipped_test_count() == 0) return 0;
  if (no_skip) {
    std::fprintf(stderr, "--no-skip: %d test(s) skipped where every test must run\n", unit.skipped_test_count());
    return kExitFail;
  }
  return unit.successful_test_count() == 0 ? kExitSkip : 0;
}
