#include "daemon/stdlib/line_diff.h"

#include <gtest/gtest.h>

#include <vector>

namespace deltascope {
namespace {

TEST(LineDiffTest, IdenticalSequencesHaveNoChanges) {
  std::vector<uint64_t> a = {1, 2, 3};
  LineDiffCounts c = CountLineChanges(a, a);
  EXPECT_EQ(c.added, 0);
  EXPECT_EQ(c.removed, 0);
  EXPECT_TRUE(c.exact);
}

TEST(LineDiffTest, InsertionAndDeletion) {
  std::vector<uint64_t> a = {1, 2, 3, 4, 5};
  std::vector<uint64_t> b = {1, 9, 2, 4, 5, 6};
  LineDiffCounts c = CountLineChanges(a, b);
  EXPECT_EQ(c.added, 2);    // 9 and 6
  EXPECT_EQ(c.removed, 1);  // 3
  EXPECT_TRUE(c.exact);
}

TEST(LineDiffTest, MoveCountsAsRemoveAndAdd) {
  std::vector<uint64_t> a = {1, 2, 3};
  std::vector<uint64_t> b = {2, 3, 1};
  LineDiffCounts c = CountLineChanges(a, b);
  EXPECT_EQ(c.added, 1);
  EXPECT_EQ(c.removed, 1);
}

TEST(LineDiffTest, EmptySides) {
  std::vector<uint64_t> a;
  std::vector<uint64_t> b = {1, 2};
  EXPECT_EQ(CountLineChanges(a, b).added, 2);
  EXPECT_EQ(CountLineChanges(b, a).removed, 2);
}

TEST(LineDiffTest, FallsBackToMultisetPastTheWorkBudget) {
  std::vector<uint64_t> a, b;
  for (uint64_t i = 0; i < 2000; ++i) {
    a.push_back(i);
    b.push_back(i + 100000);
  }
  LineDiffCounts c = CountLineChanges(a, b, /*max_work=*/1000);
  EXPECT_FALSE(c.exact);
  EXPECT_EQ(c.added, 2000);
  EXPECT_EQ(c.removed, 2000);
}

}  // namespace
}  // namespace deltascope
