#include "dirtyscope/error.hpp"

#include <cstring>

namespace dirtyscope {

namespace {
// "call failed: strerror (ENAME)".
std::string describe_errno(const std::string& call, int err) {
  const char* name = strerrorname_np(err);
  return call + " failed: " + std::strerror(err) + " (" + (name ? name : "?") + ")";
}
}  // namespace

KvmError::KvmError(std::string call, int err, std::string hint)
    : std::runtime_error(describe_errno(call, err) + (hint.empty() ? "" : "; " + hint)),
      call_(std::move(call)),
      err_(err) {}

}  // namespace dirtyscope
