#include "dirtyscope/capability.hpp"

#include <linux/kvm.h>

#include "dirtyscope/ioctl.hpp"

namespace dirtyscope {

int check_extension(int fd, long cap) {
  return static_cast<int>(kvm_ioctl(fd, KVM_CHECK_EXTENSION, cap));
}

}  // namespace dirtyscope
