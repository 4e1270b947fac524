// KVM_CHECK_EXTENSION: a call that fails is an error, never "capability 0".
// Asked of fds that are not KVM's, so no /dev/kvm is needed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/kvm.h>

#include <cerrno>

#include "dirtyscope/capability.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/unique_fd.hpp"

namespace dirtyscope {
namespace {

// Runs `call` and returns the KvmError it throws (fails the test if none).
template <typename F>
KvmError thrown_by(F call) {
  try {
    call();
  } catch (const KvmError& e) {
    return e;
  }
  ADD_FAILURE() << "no KvmError thrown";
  return KvmError("(none)", 0);
}

TEST(CheckExtension, NotAKvmFdThrowsNamingIoctlAndErrno) {
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(null.valid());
  const KvmError e = thrown_by([&] { check_extension(null.get(), KVM_CAP_DIRTY_LOG_RING); });
  EXPECT_EQ(e.call(), "KVM_CHECK_EXTENSION");
  EXPECT_EQ(e.err(), ENOTTY);
  EXPECT_NE(std::string(e.what()).find("KVM_CHECK_EXTENSION"), std::string::npos) << e.what();
}

TEST(CheckExtension, ClosedFdThrows) {
  int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const KvmError e = thrown_by([&] { check_extension(fd, KVM_CAP_DIRTY_LOG_RING); });
  EXPECT_EQ(e.err(), EBADF);
}

}  // namespace
}  // namespace dirtyscope
