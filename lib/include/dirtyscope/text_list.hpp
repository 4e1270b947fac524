#pragma once
// Lists inside one-line messages ("vCPU(s) 0,2 did not pause", "missing:
// a, b"): the separator goes between items, never before the first, so a
// message reads the same whatever the count.

#include <cstddef>
#include <string>
#include <string_view>

namespace dirtyscope {

// Appends item to list, with sep before it unless list is empty.
inline void append_item(std::string& list, std::string_view sep, std::string_view item) {
  if (!list.empty()) list += sep;
  list += item;
}

// The indices below n for which holds(i), comma-joined ("0,2"); empty when none.
template <class Pred>
std::string indices_where(std::size_t n, Pred holds) {
  std::string list;
  for (std::size_t i = 0; i < n; ++i)
    if (holds(i)) append_item(list, ",", std::to_string(i));
  return list;
}

}  // namespace dirtyscope
