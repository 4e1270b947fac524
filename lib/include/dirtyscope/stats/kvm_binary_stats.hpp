// Reader for KVM's binary statistics (KVM_GET_STATS_FD, Linux 5.14+): a
// header, an id string, one descriptor per statistic and a data block of
// u64 values, all read with pread from the stats fd. Descriptors are read
// once; values are re-read on every refresh(). Statistics this code has
// never heard of are kept like any other: the kernel adds them freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dirtyscope/unique_fd.hpp"

namespace dirtyscope::stats {

struct KvmStatDesc {
  std::string name;
  std::uint16_t size = 0;      // number of u64 values (1, or buckets of a histogram)
  std::uint32_t offset = 0;    // byte offset inside the data block
};

class KvmBinaryStats {
 public:
  // Takes the stats fd from KVM_GET_STATS_FD on a VM or vCPU fd (the
  // caller keeps its fd). Throws KvmError naming the ioctl, or
  // std::system_error when the stats file cannot be read.
  static KvmBinaryStats open(int vm_or_vcpu_fd);
  // Parses an already-opened stats fd, which it then owns.
  explicit KvmBinaryStats(UniqueFd stats_fd);

  const std::string& id() const { return id_; }   // "kvm-<pid>" or "kvm-<pid>/vcpu-<n>"
  const std::vector<KvmStatDesc>& descriptors() const { return descs_; }

  // Re-reads the data block; values() and value() see the new numbers.
  void refresh();
  // First value of the statistic `name` (the only one for scalars).
  std::optional<std::uint64_t> value(std::string_view name) const;
  // All values of the statistic (histogram buckets); empty if unknown.
  std::vector<std::uint64_t> values(std::string_view name) const;

 private:
  const KvmStatDesc* find(std::string_view name) const;

  UniqueFd fd_;
  std::string id_;
  std::vector<KvmStatDesc> descs_;
  std::uint64_t data_offset_ = 0;
  std::vector<std::uint64_t> data_;  // the data block, as u64 words
};

}  // namespace dirtyscope::stats
