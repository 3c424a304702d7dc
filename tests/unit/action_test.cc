// The changeset action: the proto enum is the one list of actions.
#include <gtest/gtest.h>

#include "daemon/engine/node_util.h"

namespace deltascope {
namespace {

TEST(ActionTest, ParsesExactlyTheEnumsNames) {
  EXPECT_EQ(ParseAction("add"), changeset::v1::ACTION_ADD);
  EXPECT_EQ(ParseAction("reorder"), changeset::v1::ACTION_REORDER);
  EXPECT_EQ(ParseAction(""), changeset::v1::ACTION_UNSPECIFIED);
  for (const char* bad : {"ADD", "Add", "unspecified", "explode", "action_add", "add "}) {
    EXPECT_FALSE(ParseAction(bad).has_value()) << bad;
  }
  EXPECT_EQ(KnownActions(), "add, remove, modify, move, copy or reorder");
}

}  // namespace
}  // namespace deltascope
