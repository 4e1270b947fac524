#include "cli.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace dirtyscope::tools {

double parse_seconds(std::string_view flag, std::string_view text, double lo, double hi) {
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || errno != 0 || !std::isfinite(v))
    throw UsageError(std::string(flag) + ": '" + s + "' is not a number of seconds");
  if (v < lo || v > hi) {
    char range[64];
    std::snprintf(range, sizeof(range), "[%g, %g]", lo, hi);
    throw UsageError(std::string(flag) + ": " + s + " is outside " + range + " seconds");
  }
  return v;
}

long parse_long(std::string_view flag, std::string_view text, long lo, long hi) {
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0)
    throw UsageError(std::string(flag) + ": '" + s + "' is not an integer");
  if (v < lo || v > hi)
    throw UsageError(std::string(flag) + ": " + s + " is outside [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]");
  return v;
}

}  // namespace dirtyscope::tools
