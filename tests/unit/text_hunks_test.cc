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

// Details may come from a plugin: lines holding newlines and fences, wrong types and too many
// hunks still give a bounded block whose every line stays inside the fence under the bullet.
TEST(RenderHunksTest, HostileDetailsStayInsideTheFence) {
  changeset::v1::DiffNode node;
  google::protobuf::Value hunks;
  auto* list = hunks.mutable_list_value();
  for (int i = 0; i < 50; ++i) {
    auto& f = *list->add_values()->mutable_struct_value()->mutable_fields();
    f["old_start"].set_string_value("not a number");
    f["old_lines"].set_number_value(-5);
    auto* removed = f["removed"].mutable_list_value();
    removed->add_values()->set_string_value("x\n```\n# Heading\n<script>");
    removed->add_values()->set_number_value(3);
    f["added"].mutable_list_value()->add_values()->set_string_value(std::string(100000, '`'));
  }
  (*node.mutable_details()->mutable_fields())["hunks"] = hunks;
  std::string md = RenderHunks(node);
  ASSERT_FALSE(md.empty());
  EXPECT_LT(md.size(), 20000u);
  std::vector<std::string> lines;
  for (size_t start = 1, nl; start < md.size(); start = nl + 1) {  // md starts with '\n'
    nl = md.find('\n', start);
    if (nl == std::string::npos) nl = md.size();
    lines.push_back(md.substr(start, nl - start));
  }
  const std::string fence = lines.front().substr(2, lines.front().size() - 6);  // "  ```diff"
  for (const std::string& line : lines) {
    EXPECT_EQ(line.rfind("  ", 0), 0u) << line;
    if (&line != &lines.front() && &line != &lines.back()) {
      EXPECT_EQ(line.find(fence), std::string::npos) << "a line could close the fence";
      EXPECT_NE(line.substr(2, 1), "#");
    }
  }
  EXPECT_EQ(lines.back(), "  " + fence);
}

TEST(RenderHunksTest, OneChangedLineIsInlineOnOneLine) {
  changeset::v1::DiffNode node;
  google::protobuf::Value hunks;
  auto& f = *hunks.mutable_list_value()->add_values()->mutable_struct_value()->mutable_fields();
  f["old_start"].set_number_value(2);
  f["old_lines"].set_number_value(1);
  f["new_start"].set_number_value(2);
  f["new_lines"].set_number_value(1);
  f["removed"].mutable_list_value()->add_values()->set_string_value("v = `1`\r\n# x");
  f["added"].mutable_list_value()->add_values()->set_string_value("v = 2");
  (*node.mutable_details()->mutable_fields())["hunks"] = hunks;
  EXPECT_EQ(RenderHunks(node), ": ``v = `1`\\r\\n# x`` → `v = 2`");
}

}  // namespace
}  // namespace deltascope
