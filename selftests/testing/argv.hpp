// Test helper: runs a command-line parser on argv built from string
// literals, and returns the UsageError text a bad command line produces.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "dirtyscope/error.hpp"

namespace dirtyscope::testing {

// parse(argc, argv) with argv = {program, args..., nullptr}.
template <typename Parse>
auto parse_args(const char* program, std::initializer_list<const char*> args, Parse parse) {
  std::vector<std::string> storage{program};
  for (const char* a : args) storage.emplace_back(a);
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  return parse(static_cast<int>(storage.size()), argv.data());
}

// The UsageError message for this command line, or "" when it parses.
template <typename Parse>
std::string usage_error_of(const char* program, std::initializer_list<const char*> args, Parse parse) {
  try {
    parse_args(program, args, parse);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace dirtyscope::testing
