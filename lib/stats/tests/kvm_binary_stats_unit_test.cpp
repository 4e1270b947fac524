// KvmBinaryStats on fds that are not KVM's: the ioctl goes through the
// library's wrapper (KvmError naming it), and the stats fd it owns is
// closed when parsing fails.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <system_error>

#include "dirtyscope/error.hpp"
#include "dirtyscope/stats/kvm_binary_stats.hpp"
#include "dirtyscope/unique_fd.hpp"

namespace dirtyscope::stats {
namespace {

TEST(KvmBinaryStatsUnit, OpenOnNonKvmFdThrowsKvmErrorNamingTheIoctl) {
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(null.valid());
  try {
    KvmBinaryStats::open(null.get());
    FAIL() << "KVM_GET_STATS_FD on /dev/null succeeded";
  } catch (const KvmError& e) {
    EXPECT_EQ(e.call(), "KVM_GET_STATS_FD");
    EXPECT_EQ(e.err(), ENOTTY);
  }
}

TEST(KvmBinaryStatsUnit, UnreadableStatsFileThrowsAndClosesTheFd) {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_THROW(KvmBinaryStats{UniqueFd(fd)}, std::system_error);  // empty: short read of the header
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "the stats fd leaked";
  EXPECT_EQ(errno, EBADF);
}

}  // namespace
}  // namespace dirtyscope::stats
