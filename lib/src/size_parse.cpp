#include "dirtyscope/size_parse.hpp"

#include <cerrno>
#include <cstdlib>

#include "dirtyscope/error.hpp"

namespace dirtyscope {

namespace {
[[noreturn]] void bad(std::string_view flag, std::string_view text, const std::string& why) {
  throw UsageError(std::string(flag) + ": invalid value '" + std::string(text) + "': " + why);
}

uint64_t parse_number(std::string_view flag, std::string_view text, size_t* consumed) {
  std::string s(text);
  if (s.empty() || s[0] == '-' || s[0] == '+') bad(flag, text, "expected a non-negative number");
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (end == s.c_str()) bad(flag, text, "expected a number");
  if (errno == ERANGE) bad(flag, text, "too large");
  *consumed = static_cast<size_t>(end - s.c_str());
  return v;
}
}  // namespace

uint64_t parse_size(std::string_view flag, std::string_view text) {
  size_t used = 0;
  uint64_t v = parse_number(flag, text, &used);
  std::string_view suffix = text.substr(used);
  unsigned shift = 0;
  if (suffix.empty() || suffix == "B" || suffix == "b") shift = 0;
  else if (suffix == "K" || suffix == "k") shift = 10;
  else if (suffix == "M" || suffix == "m") shift = 20;
  else if (suffix == "G" || suffix == "g") shift = 30;
  else if (suffix == "T" || suffix == "t") shift = 40;
  else bad(flag, text, "unknown size suffix (use K, M, G or T)");
  if (shift && v > (UINT64_MAX >> shift)) bad(flag, text, "too large");
  return v << shift;
}

uint64_t parse_uint(std::string_view flag, std::string_view text, uint64_t min, uint64_t max) {
  size_t used = 0;
  uint64_t v = parse_number(flag, text, &used);
  if (used != text.size()) bad(flag, text, "trailing characters");
  if (v < min || v > max)
    bad(flag, text, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return v;
}

std::string format_size(uint64_t bytes) {
  const char* units[] = {"T", "G", "M", "K"};
  const unsigned shifts[] = {40, 30, 20, 10};
  for (int i = 0; i < 4; ++i)
    if (bytes && bytes % (1ULL << shifts[i]) == 0) return std::to_string(bytes >> shifts[i]) + units[i];
  return std::to_string(bytes);
}

}  // namespace dirtyscope
