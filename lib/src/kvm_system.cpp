#include "dirtyscope/kvm_system.hpp"

#include <fcntl.h>

#include <cerrno>

#include "dirtyscope/error.hpp"
#include "dirtyscope/ioctl.hpp"
#include "dirtyscope/kvm_abi.hpp"

namespace dirtyscope {

KvmSystem KvmSystem::open(const char* path) {
  int fd = ::open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) throw SkipError(std::string(path) + " does not exist (KVM not available)");
    if (err == EACCES || err == EPERM)
      throw SkipError(std::string("permission denied opening ") + path +
                      " (run as root or join the kvm group)");
    throw KvmError(std::string("open ") + path, err);
  }
  KvmSystem sys{UniqueFd(fd)};
  long version = kvm_ioctl(sys.fd(), KVM_GET_API_VERSION, nullptr);
  if (version != KVM_API_VERSION)
    throw SkipError("KVM API version " + std::to_string(version) + ", expected " +
                    std::to_string(KVM_API_VERSION));
  return sys;
}

int KvmSystem::check_extension(long cap) const { return dirtyscope::check_extension(fd(), cap); }

int KvmSystem::vcpu_mmap_size() const {
  return static_cast<int>(kvm_ioctl(fd(), KVM_GET_VCPU_MMAP_SIZE, nullptr));
}

#if defined(__x86_64__)
std::vector<uint8_t> KvmSystem::supported_cpuid() const {
  // The kernel says E2BIG until the buffer is large enough; grow and retry.
  for (uint32_t n = 64; n <= 4096; n *= 2) {
    std::vector<uint8_t> blob(sizeof(KvmCpuid2Header) + n * sizeof(kvm_cpuid_entry2));
    auto* cpuid = reinterpret_cast<KvmCpuid2Header*>(blob.data());
    cpuid->nent = n;
    long r = kvm_ioctl_raw(fd(), DS_KVM_GET_SUPPORTED_CPUID, cpuid);
    if (r == -E2BIG) continue;
    if (r < 0) throw KvmError("KVM_GET_SUPPORTED_CPUID", static_cast<int>(-r));
    blob.resize(sizeof(KvmCpuid2Header) + cpuid->nent * sizeof(kvm_cpuid_entry2));
    return blob;
  }
  throw KvmError("KVM_GET_SUPPORTED_CPUID", E2BIG, "more than 4096 CPUID entries");
}
#endif

}  // namespace dirtyscope
