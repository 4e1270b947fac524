#include "dirtyscope/stats/kvm_binary_stats.hpp"

#include <linux/kvm.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "dirtyscope/ioctl.hpp"

namespace dirtyscope::stats {
namespace {

[[noreturn]] void fail(const std::string& what, int err = errno) {
  throw std::system_error(err, std::generic_category(), what);
}

// The whole range or an error: stats files are small and never short on a
// healthy kernel, so a short read means the layout is not what we think.
void pread_all(int fd, void* buf, std::size_t len, std::uint64_t off, const char* what) {
  auto* p = static_cast<char*>(buf);
  while (len > 0) {
    const ssize_t n = ::pread(fd, p, len, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(std::string("pread KVM stats ") + what);
    }
    if (n == 0) fail(std::string("short read of KVM stats ") + what, EIO);
    p += n;
    len -= static_cast<std::size_t>(n);
    off += static_cast<std::uint64_t>(n);
  }
}

// The fixed part of struct kvm_stats_desc. Not sizeof(kvm_stats_desc):
// in C++ the uapi's __DECLARE_FLEX_ARRAY(char, name) wraps an empty struct,
// which has size 1 there, making sizeof 20 instead of the ABI's 16.
struct DescFixed {
  std::uint32_t flags;
  std::int16_t exponent;
  std::uint16_t size;
  std::uint32_t offset;
  std::uint32_t bucket_size;
};
static_assert(sizeof(DescFixed) == 16, "kvm_stats_desc fixed part is 16 bytes in the ABI");

// Far above what any kernel sends (KVM_STATS_NAME_SIZE is 48; tens of
// statistics, a few hundred data words with the histograms), far below
// what would hurt to allocate: <= 272 KiB of descriptors, 512 KiB of data.
constexpr std::uint32_t kMaxNameSize = 256;
constexpr std::uint32_t kMaxDescriptors = 1024;
constexpr std::uint64_t kMaxDataWords = 1u << 16;

}  // namespace

KvmBinaryStats KvmBinaryStats::open(int vm_or_vcpu_fd) {
  return KvmBinaryStats(UniqueFd(static_cast<int>(kvm_ioctl(vm_or_vcpu_fd, KVM_GET_STATS_FD, nullptr))));
}

KvmBinaryStats::KvmBinaryStats(UniqueFd stats_fd) : fd_(std::move(stats_fd)) {
  const int fd = fd_.get();
  kvm_stats_header hdr{};
  pread_all(fd, &hdr, sizeof(hdr), 0, "header");
  // Sizes come from the file: check them before allocating by them, or a
  // corrupt header asks for gigabytes (found by fuzz/kvm_stats_fuzz.cpp).
  // KVM names are 48 bytes and a vCPU has about 60 statistics.
  if (hdr.name_size > kMaxNameSize)
    fail("implausible KVM stats name size (" + std::to_string(hdr.name_size) + " bytes)", EINVAL);
  if (hdr.num_desc > kMaxDescriptors)
    fail("implausible KVM stats descriptor count (" + std::to_string(hdr.num_desc) + ")", EINVAL);

  id_.assign(hdr.name_size, '\0');
  if (hdr.name_size) pread_all(fd, id_.data(), hdr.name_size, hdr.id_offset, "id");
  id_.resize(std::strlen(id_.c_str()));

  // Each descriptor is the fixed struct followed by name_size bytes of
  // name; step by that, not by sizeof, so a kernel with a longer name
  // field still parses.
  const std::size_t desc_size = sizeof(DescFixed) + hdr.name_size;
  std::string raw(desc_size * hdr.num_desc, '\0');
  if (!raw.empty()) pread_all(fd, raw.data(), raw.size(), hdr.desc_offset, "descriptors");

  std::uint64_t data_words = 0;
  descs_.reserve(hdr.num_desc);
  for (std::uint32_t i = 0; i < hdr.num_desc; ++i) {
    const char* d = raw.data() + i * desc_size;
    DescFixed fixed{};
    std::memcpy(&fixed, d, sizeof(fixed));
    const char* name = d + sizeof(DescFixed);
    KvmStatDesc desc{.name = std::string(name, strnlen(name, hdr.name_size)), .size = fixed.size,
                     .offset = fixed.offset};
    data_words = std::max<std::uint64_t>(data_words, desc.offset / 8 + desc.size);
    descs_.push_back(std::move(desc));
  }
  // A corrupt descriptor must not make us allocate gigabytes.
  if (data_words > kMaxDataWords)
    fail("implausible KVM stats data size (" + std::to_string(data_words) + " words)", EINVAL);
  data_offset_ = hdr.data_offset;
  data_.assign(data_words, 0);
  refresh();
}

void KvmBinaryStats::refresh() {
  if (!data_.empty()) pread_all(fd_.get(), data_.data(), data_.size() * 8, data_offset_, "data");
}

const KvmStatDesc* KvmBinaryStats::find(std::string_view name) const {
  for (const auto& d : descs_)
    if (d.name == name) return &d;
  return nullptr;
}

std::optional<std::uint64_t> KvmBinaryStats::value(std::string_view name) const {
  const KvmStatDesc* d = find(name);
  if (!d || d->size == 0) return std::nullopt;
  return data_[d->offset / 8];
}

std::vector<std::uint64_t> KvmBinaryStats::values(std::string_view name) const {
  const KvmStatDesc* d = find(name);
  if (!d) return {};
  const auto first = data_.begin() + static_cast<std::ptrdiff_t>(d->offset / 8);
  return {first, first + d->size};
}

}  // namespace dirtyscope::stats
