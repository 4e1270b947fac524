// Owner of /dev/kvm: capability probing and system-wide queries.
#pragma once

#include <linux/kvm.h>

#include <memory>
#include <vector>

#include "dirtyscope/unique_fd.hpp"

namespace dirtyscope {

class KvmSystem {
 public:
  // Opens /dev/kvm. No device: SkipError. Permission denied: SkipError that
  // says so (kselftest convention: an environment problem is a skip).
  static KvmSystem open(const char* path = "/dev/kvm");

  int fd() const { return fd_.get(); }
  // KVM_CHECK_EXTENSION on the system fd: 0 when unsupported; throws
  // KvmError when the call itself fails.
  int check_extension(long cap) const;
  int vcpu_mmap_size() const;
#if defined(__x86_64__)
  // KVM_GET_SUPPORTED_CPUID, to hand to every vCPU unchanged.
  std::vector<uint8_t> supported_cpuid() const;
#endif

 private:
  explicit KvmSystem(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace dirtyscope
