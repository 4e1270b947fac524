// KVM_CHECK_EXTENSION: a call that fails is an error, never "capability 0".
// Asked of fds that are not KVM's, so no /dev/kvm is needed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/kvm.h>

#include <cerrno>

#include "dirtyscope/error.hpp"
#include "dirtyscope/ioctl.hpp"
#include "dirtyscope/unique_fd.hpp"
#include "thrown.hpp"

namespace dirtyscope {
namespace {

using dirtyscope::testing::thrown;

TEST(CheckExtension, NotAKvmFdThrowsNamingIoctlAndErrno) {
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(null.valid());
  const auto e = thrown<KvmError>([&] { check_extension(null.get(), KVM_CAP_DIRTY_LOG_RING); });
  ASSERT_TRUE(e) << "no KvmError thrown";
  EXPECT_EQ(e->call(), "KVM_CHECK_EXTENSION");
  EXPECT_EQ(e->err(), ENOTTY);
  EXPECT_NE(std::string(e->what()).find("KVM_CHECK_EXTENSION"), std::string::npos) << e->what();
}

TEST(CheckExtension, ClosedFdThrows) {
  int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const auto e = thrown<KvmError>([&] { check_extension(fd, KVM_CAP_DIRTY_LOG_RING); });
  ASSERT_TRUE(e) << "no KvmError thrown";
  EXPECT_EQ(e->err(), EBADF);
}

}  // namespace
}  // namespace dirtyscope
