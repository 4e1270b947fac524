// Error types that carry what a kernel developer needs to act on a failure.
#pragma once

#include <stdexcept>
#include <string>

namespace dirtyscope {

// A KVM ioctl (or other syscall) failed: names the call, errno and a hint.
class KvmError : public std::runtime_error {
 public:
  KvmError(std::string call, int err, std::string hint = {});
  const std::string& call() const { return call_; }
  int err() const { return err_; }

 private:
  std::string call_;
  int err_;
};

// The kernel lacks something the test needs: not a failure, a skip.
// The message names the missing capability or resource.
class SkipError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The user asked for something invalid (flag value, size, mode): exit 2.
class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace dirtyscope
