// The list helpers that messages are built with: no separator before the
// first item, one between each pair, nothing for no items.
#include <gtest/gtest.h>

#include "dirtyscope/text_list.hpp"

namespace dirtyscope {
namespace {

TEST(TextList, SeparatorGoesOnlyBetweenItems) {
  std::string list;
  append_item(list, "; ", "first");
  EXPECT_EQ(list, "first");
  append_item(list, "; ", "second");
  append_item(list, "; ", "third");
  EXPECT_EQ(list, "first; second; third");
}

TEST(TextList, IndicesWhereJoinsTheMatchingOnesAndIsEmptyForNone) {
  EXPECT_EQ(indices_where(5, [](std::size_t i) { return i % 2 == 0; }), "0,2,4");
  EXPECT_EQ(indices_where(3, [](std::size_t i) { return i == 1; }), "1");
  EXPECT_EQ(indices_where(4, [](std::size_t) { return false; }), "");
  EXPECT_EQ(indices_where(0, [](std::size_t) { return true; }), "");
}

}  // namespace
}  // namespace dirtyscope
