// The json comparator's parts: the compact tree (hashes, limits, errors, deep nesting), array
// matching (key inference, order) and the structural diff (paths, renames, key order).
#include "daemon/stdlib/json_diff.h"

#include <gtest/gtest.h>

#include <string>

#include "daemon/stdlib/json_match.h"
#include "daemon/stdlib/json_tree.h"

namespace deltascope {
namespace {

JsonTree Parse(std::string_view text, bool lines = false) {
  absl::StatusOr<JsonTree> tree = JsonTree::ParseText(text, lines);
  EXPECT_TRUE(tree.ok()) << tree.status() << " in " << text;
  return tree.ok() ? std::move(*tree) : *JsonTree::ParseText("null", false);
}

JsonDiff Diff(std::string_view left, std::string_view right, bool lines = false) {
  const JsonTree a = Parse(left, lines), b = Parse(right, lines);
  absl::StatusOr<JsonDiff> diff = DiffJsonTrees(a, b, 8);
  EXPECT_TRUE(diff.ok()) << diff.status();
  return diff.ok() ? std::move(*diff) : JsonDiff{};
}

TEST(JsonTreeTest, HashIgnoresKeyOrderAndNumberSpellingButNotTypes) {
  auto hash = [](std::string_view text) {
    const JsonTree t = Parse(text);
    return t.hash(t.root());
  };
  EXPECT_EQ(hash(R"({"a": 1, "b": [true, null]})"), hash(R"({"b":[true,null],"a":1.0})"));
  EXPECT_EQ(hash("100"), hash("1e2"));
  EXPECT_NE(hash("1"), hash("\"1\""));
  EXPECT_NE(hash("[1, 2]"), hash("[2, 1]"));
  EXPECT_NE(hash(R"({"a": 1})"), hash(R"({"b": 1})"));
  EXPECT_NE(hash(R"({"a": {"b": 1}})"), hash(R"({"a": {"c": 1}})"));
}

TEST(JsonTreeTest, KeepsStructureAndText) {
  const JsonTree t = Parse(R"({"name": "Zoë \"Z\"", "n": 1.50, "list": [1, {"x": null}]})");
  ASSERT_EQ(t.type(t.root()), JsonType::kObject);
  EXPECT_EQ(t.ChildCount(t.root()), 3u);
  const uint32_t name = t.Member(t.root(), "name");
  EXPECT_EQ(t.Text(name), "Zoë \"Z\"");
  EXPECT_EQ(t.Text(t.Member(t.root(), "n")), "1.50");  // as written
  EXPECT_EQ(t.Member(t.root(), "missing"), JsonTree::kNone);
  const uint32_t list = t.Member(t.root(), "list");
  EXPECT_EQ(t.Children(list).size(), 2u);
  EXPECT_EQ(AbbreviateJson(t, t.root()), R"({"name":"Zoë \"Z\"","n":1.50,"list":[1,{"x":null}]})");
  EXPECT_EQ(AbbreviateJson(t, t.root(), 10), "{\"name\":\"Z\u2026");
}

TEST(JsonTreeTest, InvalidJsonSaysWhereAndWhy) {
  absl::StatusOr<JsonTree> bad = JsonTree::ParseText("{\"a\": 1,\n \"b\": }", false);
  ASSERT_TRUE(absl::IsFailedPrecondition(bad.status())) << bad.status();
  EXPECT_EQ(bad.status().message().substr(0, 31), "not valid JSON: at line 2, colu");
  EXPECT_EQ(bad.status().message().find("last read"), std::string::npos);
  absl::StatusOr<JsonTree> bad_line = JsonTree::ParseText("{\"a\": 1}\n\n[1,\n", true);
  ASSERT_TRUE(absl::IsFailedPrecondition(bad_line.status()));
  EXPECT_NE(bad_line.status().message().find("line 3: at column"), std::string::npos)
      << bad_line.status();
  EXPECT_FALSE(JsonTree::ParseText("", false).ok());
  EXPECT_FALSE(JsonTree::ParseText("{} {}", false).ok());
  EXPECT_FALSE(JsonTree::ParseText("\"\xff\"", false).ok());  // not UTF-8
}

TEST(JsonTreeTest, LimitsAreResourceExhausted) {
  JsonLimits limits;
  limits.max_values = 3;
  absl::StatusOr<JsonTree> many = JsonTree::ParseText("[1, 2, 3]", false, limits);
  EXPECT_TRUE(absl::IsResourceExhausted(many.status())) << many.status();
  EXPECT_TRUE(JsonTree::ParseText("[1, 2]", false, limits).ok());
  limits.max_bytes = 4;
  EXPECT_TRUE(absl::IsResourceExhausted(JsonTree::ParseText("[1,2]", false, limits).status()));
}

TEST(JsonTreeTest, JsonLinesAreAnArrayOfRecords) {
  const JsonTree t = Parse("{\"id\": 1}\r\n\n  \n{\"id\": 2}", /*lines=*/true);
  EXPECT_EQ(t.type(t.root()), JsonType::kArray);
  EXPECT_EQ(t.ChildCount(t.root()), 2u);
}

TEST(JsonTreeTest, DeepNestingParsesWithoutRecursion) {
  constexpr int kDepth = 200'000;
  const std::string deep = std::string(kDepth, '[') + "1" + std::string(kDepth, ']');
  const JsonTree a = Parse(deep);
  EXPECT_EQ(a.size(), static_cast<uint32_t>(kDepth + 1));
  std::string other = deep;
  other[kDepth] = '2';
  const JsonTree b = Parse(other);
  EXPECT_NE(a.hash(a.root()), b.hash(b.root()));
  absl::StatusOr<JsonDiff> diff = DiffJsonTrees(a, b, 8);
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(diff->values_changed, 1);  // cut at kMaxJsonCompareDepth, compared whole
  ASSERT_EQ(diff->values_changed_examples.size(), 1u);
  EXPECT_EQ(diff->values_changed_examples[0].path.size(), 1 + 3 * kMaxJsonCompareDepth);
  EXPECT_EQ(AbbreviateJson(a, a.root()).size(), 200 + std::string("\u2026").size());
}

TEST(JsonMatchTest, KeyNamesRankIdentifiersFirst) {
  EXPECT_EQ(JsonKeyNameRank("id"), 0);
  EXPECT_EQ(JsonKeyNameRank("ID"), 0);
  EXPECT_EQ(JsonKeyNameRank("country_id"), 1);
  EXPECT_EQ(JsonKeyNameRank("userId"), 1);
  EXPECT_EQ(JsonKeyNameRank("uuid"), 1);
  EXPECT_EQ(JsonKeyNameRank("code"), 2);
  EXPECT_EQ(JsonKeyNameRank("iso_a2"), 2);
  EXPECT_EQ(JsonKeyNameRank("postal code"), 2);
  EXPECT_EQ(JsonKeyNameRank("name"), 3);
  EXPECT_EQ(JsonKeyNameRank("population"), -1);
  EXPECT_EQ(JsonKeyNameRank("idea"), -1);
  EXPECT_EQ(JsonKeyNameRank("valid"), -1);
}

TEST(JsonMatchTest, InfersAUniqueIdentifierPresentEverywhere) {
  // "id" repeats on the right; "code" is missing once; "iso" is unique everywhere.
  const JsonTree l = Parse(R"([{"id": 1, "code": "a", "iso": "FR", "pop": 1},
                               {"id": 2, "code": "b", "iso": "DE", "pop": 2}])");
  const JsonTree r = Parse(R"([{"id": 1, "code": "a", "iso": "DE", "pop": 1},
                               {"id": 1, "iso": "FR", "pop": 3}])");
  const std::vector<uint32_t> li = l.Children(l.root()), ri = r.Children(r.root());
  EXPECT_EQ(InferJsonArrayKey({l, li}, {r, ri}), "iso");
  // Fractions and blanks are not identifiers; the first member is the last resort.
  const JsonTree f = Parse(R"([{"label": "x", "id": 0.5}, {"label": "y", "id": 1.5}])");
  const std::vector<uint32_t> fi = f.Children(f.root());
  EXPECT_EQ(InferJsonArrayKey({f, fi}, {f, fi}), "label");
  const JsonTree s = Parse(R"([1, 2])");
  const std::vector<uint32_t> si = s.Children(s.root());
  EXPECT_EQ(InferJsonArrayKey({s, si}, {s, si}), std::nullopt);
}

TEST(JsonMatchTest, ValueMatchingKeepsOrderAndPairsLeftoversByPosition) {
  const JsonTree l = Parse("[1, 2, 3, 4, 5]");
  const JsonTree r = Parse("[1, 9, 3, 5, 4, 6]");
  const std::vector<uint32_t> li = l.Children(l.root()), ri = r.Children(r.root());
  const JsonArrayMatch m =
      MatchJsonArrays({l, li}, {r, ri}, [](uint32_t, uint32_t) { return true; });
  EXPECT_FALSE(m.key);
  ASSERT_EQ(m.pairs.size(), 5u);  // 1, 2→9, 3, 5, 4 (moved)
  EXPECT_EQ(m.pairs[1].left, 1u);
  EXPECT_EQ(m.pairs[1].right, 1u);
  int moved = 0;
  for (const auto& p : m.pairs) moved += p.moved;
  EXPECT_EQ(moved, 1);
  EXPECT_TRUE(m.removed.empty());
  EXPECT_EQ(m.added, std::vector<uint32_t>{5});
}

TEST(JsonDiffTest, RecordsMatchedByIdNotByPosition) {
  const JsonDiff d = Diff(R"({"countries": [{"iso": "FR", "name": "France"},
                                           {"iso": "DE", "name": "Germany"},
                                           {"iso": "IT", "name": "Italy"}]})",
                          R"({"countries": [{"iso": "AT", "name": "Austria"},
                                           {"iso": "FR", "name": "French Republic"},
                                           {"iso": "IT", "name": "Italy"}]})");
  EXPECT_EQ(d.records_added, 1);
  EXPECT_EQ(d.records_removed, 1);
  EXPECT_EQ(d.values_changed, 1);
  EXPECT_EQ(d.records_moved, 0);
  ASSERT_EQ(d.values_changed_examples.size(), 1u);
  EXPECT_EQ(d.values_changed_examples[0].path, "$.countries[iso=FR].name");
  EXPECT_EQ(d.values_changed_examples[0].before, "\"France\"");
  EXPECT_EQ(d.values_changed_examples[0].after, "\"French Republic\"");
  ASSERT_EQ(d.records_added_examples.size(), 1u);
  EXPECT_EQ(d.records_added_examples[0].path, "$.countries[iso=AT]");
  ASSERT_EQ(d.matched_by.size(), 1u);
  EXPECT_EQ(d.matched_by[0].path, "$.countries");
  EXPECT_EQ(d.matched_by[0].key, "iso");
}

TEST(JsonDiffTest, AKeyRenamedAcrossRecordsIsOneRename) {
  std::string left = "[", right = "[";
  for (int i = 0; i < 23; ++i) {
    const std::string sep = i ? "," : "";
    left += sep + "{\"bacteria\": \"b" + std::to_string(i) +
            "\", \"Penicilin\": " + std::to_string(i * 7) + ", \"gram\": \"negative\"}";
    // One record also changes the value.
    right += sep + "{\"bacteria\": \"b" + std::to_string(i) +
             "\", \"Penicillin\": " + std::to_string(i == 5 ? 1000 : i * 7) +
             ", \"gram\": \"negative\"}";
  }
  const JsonDiff d = Diff(left + "]", right + "]");
  ASSERT_EQ(d.renames.size(), 1u);
  EXPECT_EQ(d.renames[0].before, "Penicilin");
  EXPECT_EQ(d.renames[0].after, "Penicillin");
  EXPECT_EQ(d.renames[0].objects, 23);
  EXPECT_EQ(d.renames[0].path, "$[*]");
  EXPECT_EQ(d.keys_added, 0);
  EXPECT_EQ(d.keys_removed, 0);
  EXPECT_EQ(d.values_changed, 1);
  EXPECT_EQ(d.values_changed_examples[0].path, "$[bacteria=b5].Penicillin");
}

TEST(JsonDiffTest, KeysWithDifferentValuesAreNotRenames) {
  const JsonDiff d = Diff(R"([{"id": 1, "a": 1}, {"id": 2, "a": 2}, {"id": 3, "a": 3}])",
                          R"([{"id": 1, "b": 1}, {"id": 2, "b": 5}, {"id": 3, "b": 6}])");
  EXPECT_TRUE(d.renames.empty());
  EXPECT_EQ(d.keys_added, 3);
  EXPECT_EQ(d.keys_removed, 3);
}

TEST(JsonDiffTest, KeyOrderOnlyIsClerical) {
  const JsonDiff d = Diff(R"({"a": 1, "b": {"x": 1, "y": 2}, "c": [{"p": 1, "q": 2}]})",
                          R"({"a": 1, "c": [{"q": 2, "p": 1}], "b": {"x": 1, "y": 2}})");
  EXPECT_FALSE(d.content_changed());
  EXPECT_EQ(d.objects_reordered, 2);
  EXPECT_EQ(d.reordered_paths, (std::vector<std::string>{"$", "$.c[0]"}));
}

TEST(JsonDiffTest, NestedChangesHavePaths) {
  const JsonDiff d = Diff(R"({"meta": {"version": 1, "odd key": [1, 2], "gone": true}})",
                          R"({"meta": {"version": "1", "odd key": [1, 2, 3], "new": null}})");
  EXPECT_EQ(d.values_changed, 1);
  EXPECT_EQ(d.type_changes, 1);
  EXPECT_EQ(d.values_changed_examples[0].path, "$.meta.version");
  EXPECT_EQ(d.items_added, 1);
  EXPECT_EQ(d.items_added_examples[0].path, "$.meta['odd key'][2]");
  EXPECT_EQ(d.keys_removed, 1);
  EXPECT_EQ(d.keys_removed_examples[0].path, "$.meta.gone");
  EXPECT_EQ(d.keys_added, 1);
  EXPECT_EQ(d.keys_added_examples[0].path, "$.meta.new");
}

TEST(JsonDiffTest, RecordsReorderedAreClericalOtherItemsMovedAreNot) {
  const JsonDiff records =
      Diff(R"([{"id": 1}, {"id": 2}, {"id": 3}])", R"([{"id": 3}, {"id": 1}, {"id": 2}])");
  EXPECT_FALSE(records.content_changed());
  EXPECT_EQ(records.records_moved, 1);
  const JsonDiff coordinates = Diff("[1.5, 2.5]", "[2.5, 1.5]");
  EXPECT_TRUE(coordinates.content_changed());
  EXPECT_EQ(coordinates.items_moved, 1);
}

TEST(JsonDiffTest, UnkeyedRecordsPairByPositionOnlyWhenSimilar) {
  // No member is unique: the edited record pairs with its old self, the new one is added.
  const JsonDiff d = Diff(R"([{"k": "a", "v": 1, "w": 1}, {"k": "a", "v": 2, "w": 2}])",
                          R"([{"k": "a", "v": 1, "w": 1}, {"k": "a", "v": 2, "w": 3},
                              {"k": "a", "v": 9, "w": 9}])");
  EXPECT_EQ(d.values_changed, 1);
  EXPECT_EQ(d.records_added, 1);
  EXPECT_EQ(d.records_removed, 0);
  const JsonDiff different = Diff(R"([{"k": "a", "v": 1, "w": 1}, {"k": "a", "v": 2, "w": 2}])",
                                  R"([{"k": "a", "v": 1, "w": 1}, {"k": "b", "v": 3, "w": 3}])");
  EXPECT_EQ(different.values_changed, 0);
  EXPECT_EQ(different.records_added, 1);
  EXPECT_EQ(different.records_removed, 1);
}

TEST(JsonDiffTest, ExamplesAreBounded) {
  std::string left = "{", right = "{";
  for (int i = 0; i < 50; ++i) {
    left += (i ? ",\"k" : "\"k") + std::to_string(i) + "\": " + std::to_string(i);
    right += (i ? ",\"k" : "\"k") + std::to_string(i) + "\": " + std::to_string(i + 1);
  }
  const JsonDiff d = Diff(left + "}", right + "}");
  EXPECT_EQ(d.values_changed, 50);
  EXPECT_EQ(d.values_changed_examples.size(), 8u);
}

TEST(JsonDiffTest, CancellationStopsTheWalk) {
  std::string left = "[", right = "[";
  for (int i = 0; i < 20000; ++i) {
    left += (i ? "," : "") + std::to_string(i);
    right += (i ? "," : "") + std::to_string(i * 2);
  }
  const JsonTree a = Parse(left + "]"), b = Parse(right + "]");
  absl::StatusOr<JsonDiff> d = DiffJsonTrees(a, b, 8, [] { return true; });
  EXPECT_TRUE(absl::IsCancelled(d.status())) << d.status();
}

}  // namespace
}  // namespace deltascope
