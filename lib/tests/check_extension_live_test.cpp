// KVM_CHECK_EXTENSION through the owners, on the real /dev/kvm: a
// capability the kernel lacks is 0, and a call that fails throws instead
// of reading as 0 (which would turn a broken fd into "capability missing,
// skip").
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/kvm.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <optional>
#include <tuple>

#include "dirtyscope/error.hpp"
#include "dirtyscope/kvm_system.hpp"
#include "dirtyscope/unique_fd.hpp"
#include "dirtyscope/vm.hpp"
#include "thrown.hpp"

namespace dirtyscope {
namespace {

// No capability has this number: KVM's answer for it is 0, on any kernel.
constexpr long kNoSuchCapability = 0x7fff0000;

std::optional<KvmSystem> open_kvm() {
  try {
    return KvmSystem::open();
  } catch (const SkipError&) {
    return std::nullopt;
  }
}

// Points `fd` at /dev/null, so the next ioctl on it fails with ENOTTY: a
// stand-in for a KVM fd that has gone bad under its owner.
void break_fd(int fd) {
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(null.valid());
  ASSERT_EQ(::dup2(null.get(), fd), fd);
}

TEST(CheckExtensionLive, UnknownCapabilityIsZero) {
  auto kvm = open_kvm();
  if (!kvm) GTEST_SKIP() << "/dev/kvm unavailable";
  EXPECT_EQ(kvm->check_extension(kNoSuchCapability), 0);
  Vm vm(*kvm);
  EXPECT_EQ(vm.check_extension(kNoSuchCapability), 0);
  // A capability every KVM has answers non-zero through both fds.
  EXPECT_GT(kvm->check_extension(KVM_CAP_USER_MEMORY), 0);
  EXPECT_GT(vm.check_extension(KVM_CAP_USER_MEMORY), 0);
}

// Through either owner (the system fd broken after the VM exists).
TEST(CheckExtensionLive, FailingCallThrows) {
  auto kvm = open_kvm();
  if (!kvm) GTEST_SKIP() << "/dev/kvm unavailable";
  Vm vm(*kvm);
  const std::tuple<const char*, int, std::function<int()>> owners[] = {
      {"KvmSystem", kvm->fd(), [&] { return kvm->check_extension(KVM_CAP_DIRTY_LOG_RING); }},
      {"Vm", vm.fd(), [&] { return vm.check_extension(KVM_CAP_DIRTY_LOG_RING); }}};
  for (const auto& [owner, fd, check] : owners) {
    break_fd(fd);
    const auto e = dirtyscope::testing::thrown<KvmError>(check);
    ASSERT_TRUE(e) << owner << "::check_extension returned on a failing ioctl";
    EXPECT_EQ(e->call(), "KVM_CHECK_EXTENSION") << owner;
    EXPECT_EQ(e->err(), ENOTTY) << owner;
  }
}

}  // namespace
}  // namespace dirtyscope
