// Every KVM ioctl in this project goes through these helpers, so a failure
// always names the ioctl, errno and a hint, and a wrong argument type is a
// compile error (its size must match the size encoded in the ioctl number).
#pragma once

#include <asm/ioctl.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <type_traits>

#include "dirtyscope/error.hpp"

namespace dirtyscope {

// A hint for well-known (ioctl, errno) pairs, e.g. "capability not enabled".
std::string ioctl_hint(const char* name, int err);

// Raw form: returns the ioctl's result or -errno, never throws. For callers
// that expect particular failures (probing, EINTR from KVM_RUN).
inline long raw_ioctl(int fd, unsigned long cmd, unsigned long arg) {
  long r = ::ioctl(fd, cmd, arg);
  return r < 0 ? -errno : r;
}

// Checked form: throws KvmError naming the ioctl.
long checked_ioctl(int fd, unsigned long cmd, unsigned long arg, const char* name);

// KVM_CHECK_EXTENSION on `fd` (a /dev/kvm or VM fd): 0 when the
// capability is missing, else its value (often a size or count). A call
// that fails (bad fd, not a KVM fd) throws KvmError: read as 0 it would
// turn a broken fd into "capability missing", i.e. a silent skip.
int check_extension(int fd, long cap);

// Size check: ioctls that encode a size (_IOW/_IOR/_IOWR) must get a pointer
// to an object of exactly that size; _IO ioctls take a plain integer.
template <unsigned long Cmd, typename T>
unsigned long ioctl_arg(T arg) {
  if constexpr (std::is_pointer_v<T>) {
    static_assert(_IOC_SIZE(Cmd) == sizeof(std::remove_pointer_t<T>),
                  "ioctl argument size does not match the size encoded in the ioctl number");
    return reinterpret_cast<unsigned long>(arg);
  } else {
    static_assert(_IOC_SIZE(Cmd) == 0, "this ioctl takes a pointer argument");
    if constexpr (std::is_same_v<T, std::nullptr_t>) return 0UL;
    else return static_cast<unsigned long>(arg);
  }
}

}  // namespace dirtyscope

// kvm_ioctl(fd, KVM_GET_DIRTY_LOG, &log): checked, throws KvmError("KVM_GET_DIRTY_LOG", errno).
#define kvm_ioctl(fd, cmd, arg) \
  ::dirtyscope::checked_ioctl((fd), (cmd), ::dirtyscope::ioctl_arg<(cmd)>(arg), #cmd)
// kvm_ioctl_raw(fd, cmd, arg): returns result or -errno.
#define kvm_ioctl_raw(fd, cmd, arg) \
  ::dirtyscope::raw_ioctl((fd), (cmd), ::dirtyscope::ioctl_arg<(cmd)>(arg))
