#include "dirtyscope/ioctl.hpp"

#include <linux/kvm.h>

#include <string>

namespace dirtyscope {

std::string ioctl_hint(const char* name, int err) {
  const std::string n = name;
  if (err == EPERM || err == EACCES) return "needs root or membership of the kvm group";
  if (err == ENOMEM) return "the host is short of memory for this size";
  if (n == "KVM_CLEAR_DIRTY_LOG" && err == EINVAL)
    return "first_page/num_pages must be multiples of 64 (or reach the slot end), and "
           "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 must be enabled";
  if (n == "KVM_GET_DIRTY_LOG" && err == ENOENT) return "the slot has no dirty bitmap (logging off?)";
  if (n == "KVM_ENABLE_CAP" && err == EINVAL) return "capability unsupported or enabled too late";
  if (n == "KVM_SET_USER_MEMORY_REGION" && err == EEXIST) return "overlapping memslots";
  if (n == "KVM_SET_USER_MEMORY_REGION" && err == EINVAL)
    return "address or size not page aligned, or slot beyond KVM_CAP_NR_MEMSLOTS";
  if (n == "KVM_RUN" && err == EFAULT) return "guest touched memory with no memslot backing";
  return {};
}

long checked_ioctl(int fd, unsigned long cmd, unsigned long arg, const char* name) {
  long r = ::ioctl(fd, cmd, arg);
  if (r < 0) {
    int err = errno;
    throw KvmError(name, err, ioctl_hint(name, err));
  }
  return r;
}

int check_extension(int fd, long cap) { return static_cast<int>(kvm_ioctl(fd, KVM_CHECK_EXTENSION, cap)); }

}  // namespace dirtyscope
