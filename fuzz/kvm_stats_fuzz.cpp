// KVM's binary statistics file (KVM_GET_STATS_FD) as KvmBinaryStats reads
// it: the fuzz bytes become the file, in a memfd, and the real constructor
// parses header, id, descriptors and data through pread. A corrupt file
// must end in std::system_error, never a crash, a huge allocation or an
// out-of-bounds read; value() and values() are then tried on every name.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <system_error>
#include <utility>

#include "dirtyscope/stats/kvm_binary_stats.hpp"
#include "dirtyscope/unique_fd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dirtyscope::UniqueFd;
  using dirtyscope::stats::KvmBinaryStats;
  // One memfd for the whole run, rewritten per input: creating one per
  // input made the run wait in the kernel for most of its time. The
  // reader owns (and closes) a dup of it.
  static const int file = ::memfd_create("kvm-stats-fuzz", MFD_CLOEXEC);
  if (file < 0 || ::ftruncate(file, 0) != 0) std::abort();
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = ::pwrite(file, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  UniqueFd fd(::dup(file));
  if (fd.get() < 0) std::abort();
  try {
    KvmBinaryStats stats(std::move(fd));
    for (const auto& d : stats.descriptors()) {
      (void)stats.value(d.name);
      (void)stats.values(d.name);
    }
    stats.refresh();
  } catch (const std::system_error&) {
  }
  return 0;
}
