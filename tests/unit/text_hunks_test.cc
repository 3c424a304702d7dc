#include "daemon/stdlib/text_hunks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/render/markdown_details.h"
#include "daemon/stdlib/line_diff.h"

namespace deltascope {
namespace {

std::vector<std::pair<int64_t, int64_t>> Spans(const LineHunks& h) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const LineHunk& x : h.hunks) {
    out.emplace_back(x.old_start, x.old_count);
    out.emplace_back(x.new_start, x.new_count);
  }
  return out;
}

TEST(TextHunksTest, SeparateEditsGiveSeparateHunksWithPositions) {
  std::vector<uint64_t> a = {1, 2, 3, 4, 5, 6, 7};
  std::vector<uint64_t> b = {1, 9, 3, 4, 6, 7, 8};
  LineHunks h = DiffHunks(a, b);
  EXPECT_TRUE(h.exact);
  using P = std::pair<int64_t, int64_t>;
  EXPECT_EQ(Spans(h), (std::vector<P>{{1, 1}, {1, 1}, {4, 1}, {4, 0}, {7, 0}, {6, 1}}));
}

TEST(TextHunksTest, CountsAgreeWithTheShortestEditScript) {
  std::vector<uint64_t> a, b;
  for (uint64_t i = 0; i < 300; ++i) a.push_back(i % 17), b.push_back((i * 7) % 19);
  LineHunks h = DiffHunks(a, b);
  ASSERT_TRUE(h.exact);
  int64_t added = 0, removed = 0;
  for (const LineHunk& x : h.hunks) added += x.new_count, removed += x.old_count;
  LineDiffCounts c = CountLineChanges(a, b);
  EXPECT_EQ(added, c.added);
  EXPECT_EQ(removed, c.removed);
}

TEST(TextHunksTest, PastTheEditBudgetOneHunkSpansTheChangedMiddle) {
  std::vector<uint64_t> a = {0, 1, 2, 3, 99}, b = {0, 5, 6, 7, 8, 99};
  LineHunks h = DiffHunks(a, b, /*max_edits=*/2);
  EXPECT_FALSE(h.exact);
  using P = std::pair<int64_t, int64_t>;
  EXPECT_EQ(Spans(h), (std::vector<P>{{1, 3}, {1, 4}}));
}

TEST(TextHunksTest, PlanBoundsHunksAndLines) {
  std::vector<LineHunk> hunks;
  for (int64_t i = 0; i < 8; ++i) hunks.push_back({i * 10, 1, i * 10, 1});
  ExcerptPlan plan = PlanExcerpt(hunks, ExcerptLimits{});
  EXPECT_EQ(plan.parts.size(), 5u);
  EXPECT_TRUE(plan.cut);
  plan = PlanExcerpt({{0, 100, 0, 100}}, ExcerptLimits{});
  ASSERT_EQ(plan.parts.size(), 1u);
  EXPECT_EQ(plan.parts[0].removed_shown, 20);
  EXPECT_EQ(plan.parts[0].added_shown, 20);
  EXPECT_TRUE(plan.cut);
  EXPECT_EQ(LinesNeeded(plan, true).size(), 20u);
}

TEST(TextHunksTest, CutLineNeverSplitsACharacter) {
  EXPECT_EQ(CutLine("short", 10), "short");
  std::string line = "a";
  for (int i = 0; i < 10; ++i) line += "é";  // 2 bytes each
  EXPECT_EQ(CutLine(line, 4), "aé… [18 more bytes]");
}

TEST(TextHunksTest, ByteBudgetLeavesLinesOutAndSaysSo) {
  ExcerptLimits limits;
  limits.max_bytes = 10;
  ExcerptPlan plan = PlanExcerpt({{0, 2, 0, 0}}, limits);
  bool cut = false;
  google::protobuf::Value v = HunksDetail(plan, {"12345678", "abcdef"}, {}, limits, cut);
  EXPECT_TRUE(cut);
  const auto& removed = v.list_value().values(0).struct_value().fields().at("removed");
  ASSERT_EQ(removed.list_value().values_size(), 1);
  EXPECT_EQ(removed.list_value().values(0).string_value(), "12345678");
}

TEST(MarkdownCodeSpanTest, DelimiterOutrunsBackticksAndControlsAreEscaped) {
  EXPECT_EQ(MarkdownCodeSpan("x = 1"), "`x = 1`");
  EXPECT_EQ(MarkdownCodeSpan("a``b"), "```a``b```");
  EXPECT_EQ(MarkdownCodeSpan("`x`"), "`` `x` ``");
  EXPECT_EQ(MarkdownCodeSpan("\x1b[2J"), "`\\x1b[2J`");
  EXPECT_EQ(MarkdownCodeSpan(""), "(empty)");
}

}  // namespace
}  // namespace deltascope
