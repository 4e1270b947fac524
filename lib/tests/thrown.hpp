// What a call threw, for the library's tests (lib/tests, lib/stats/tests).
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace dirtyscope::testing {

// The E that `call` threw, or nullopt if it returned. Anything else it
// throws propagates and fails the test.
template <typename E, typename F>
std::optional<E> thrown(F&& call) {
  try {
    std::forward<F>(call)();
  } catch (const E& e) {
    return e;
  }
  return std::nullopt;
}

// The what() of the E that `call` threw, or `none` if it returned.
template <typename E, typename F>
std::string what_thrown(F&& call, const char* none = "(no exception)") {
  const std::optional<E> e = thrown<E>(std::forward<F>(call));
  return e ? e->what() : none;
}

}  // namespace dirtyscope::testing
