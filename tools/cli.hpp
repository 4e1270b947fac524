// Shared command-line conventions of the `dirtyscope` tool: exit codes
// (kselftest-style: 4 means "cannot run here", a skip) and one-line usage
// errors naming the bad value.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace dirtyscope::tools {

enum Exit : int { kOk = 0, kFailure = 1, kUsage = 2, kUnavailable = 4 };

// A bad flag or value. main() prints "dirtyscope: <what>" and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Strict number parsing: the whole string, within [lo, hi], or UsageError
// naming the flag, the value and the limit.
double parse_seconds(std::string_view flag, std::string_view text, double lo, double hi);
long parse_long(std::string_view flag, std::string_view text, long lo, long hi);

}  // namespace dirtyscope::tools
