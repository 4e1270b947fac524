// KvmBinaryStats on fds that are not KVM's: the ioctl goes through the
// library's wrapper (KvmError naming it), and the stats fd it owns is
// closed when parsing fails.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/kvm.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "dirtyscope/error.hpp"
#include "dirtyscope/stats/kvm_binary_stats.hpp"
#include "dirtyscope/unique_fd.hpp"
#include "thrown.hpp"

namespace dirtyscope::stats {
namespace {

TEST(KvmBinaryStatsUnit, OpenOnNonKvmFdThrowsKvmErrorNamingTheIoctl) {
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(null.valid());
  const auto e = dirtyscope::testing::thrown<KvmError>([&] { KvmBinaryStats::open(null.get()); });
  ASSERT_TRUE(e) << "KVM_GET_STATS_FD on /dev/null succeeded";
  EXPECT_EQ(e->call(), "KVM_GET_STATS_FD");
  EXPECT_EQ(e->err(), ENOTTY);
}

TEST(KvmBinaryStatsUnit, UnreadableStatsFileThrowsAndClosesTheFd) {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_THROW(KvmBinaryStats{UniqueFd(fd)}, std::system_error);  // empty: short read of the header
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "the stats fd leaked";
  EXPECT_EQ(errno, EBADF);
}

// A stats "file" in a memfd holding just a header: the sizes in it are
// what a corrupt file would claim.
UniqueFd stats_file(const kvm_stats_header& hdr) {
  UniqueFd fd(::memfd_create("kvm-stats", MFD_CLOEXEC));
  EXPECT_TRUE(fd.valid());
  EXPECT_EQ(::write(fd.get(), &hdr, sizeof(hdr)), static_cast<ssize_t>(sizeof(hdr)));
  return fd;
}

std::string refusal(const kvm_stats_header& hdr) {
  const auto e = dirtyscope::testing::thrown<std::system_error>([&] { KvmBinaryStats stats(stats_file(hdr)); });
  if (!e) return "accepted";
  EXPECT_EQ(e->code().value(), EINVAL);
  return e->what();
}

// Regression (the kvm_stats fuzzer): these headers made the reader
// allocate name_size * num_desc bytes (gigabytes) before noticing anything.
TEST(KvmBinaryStatsUnit, ImplausibleHeaderSizesAreRefusedBeforeAllocating) {
  kvm_stats_header hdr{.name_size = 48, .num_desc = 100000000, .id_offset = sizeof(kvm_stats_header),
                       .desc_offset = sizeof(kvm_stats_header) + 48};
  EXPECT_NE(refusal(hdr).find("implausible KVM stats descriptor count (100000000)"), std::string::npos);
  hdr.num_desc = 1;
  hdr.name_size = 0xffffffffu;
  EXPECT_NE(refusal(hdr).find("implausible KVM stats name size (4294967295 bytes)"), std::string::npos);
}

}  // namespace
}  // namespace dirtyscope::stats
