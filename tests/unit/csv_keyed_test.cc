// The csv comparator run through the real engine: keyed diffs (DiffOptions::table_keys), which
// the golden vectors cannot set, and a larger generated table.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/stdlib_diff.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using google::protobuf::Value;

class CsvEngineTest : public ::testing::Test {
 protected:
  Changeset Diff(const DiffOptions& options) {
    absl::StatusOr<Changeset> cs = testing::DiffWithStdlib(tree_, options);
    EXPECT_TRUE(cs.ok()) << cs.status();
    return cs.ok() ? *cs : Changeset{};
  }

  // The only changed file: the root's single descendant leaf.
  static const DiffNode& Node(const Changeset& cs) {
    const DiffNode* n = &cs.root();
    while (n->children_size() > 0) {
      EXPECT_EQ(n->children_size(), 1);
      n = &n->children(0);
    }
    return *n;
  }

  static double Number(const DiffNode& n, const std::string& key) {
    auto it = n.details().fields().find(key);
    EXPECT_NE(it, n.details().fields().end()) << key;
    return it == n.details().fields().end() ? -1 : it->second.number_value();
  }

  testing::ScratchTree tree_;
};

TEST_F(CsvEngineTest, KeyedDiffMatchesRowsByKeyWhateverTheirOrder) {
  tree_.Write("a/inventory.csv", "id,name,qty\n1,bolt,10\n2,nut,20\n3,gear,5\n4,axle,2\n");
  tree_.Write("b/inventory.csv", "id,name,qty\n4,axle,2\n3,gear,7\n1,bolt,10\n5,cam,1\n");
  DiffOptions options;
  options.table_keys = {{"inv.*\\.csv", {"id"}}};
  Changeset cs = Diff(options);
  const DiffNode& n = Node(cs);
  EXPECT_EQ(n.comparator(), "csv");
  EXPECT_EQ(n.item_type(), "tabular");
  EXPECT_EQ(n.summary(), "1 row added; 1 row removed; 1 cell changed");
  EXPECT_EQ(std::vector<std::string>(n.tags().begin(), n.tags().end()),
            (std::vector<std::string>{"cell-change", "row-addition", "row-removal"}));
  EXPECT_EQ(Number(n, "rows_modified"), 1);
  const auto& f = n.details().fields();
  ASSERT_EQ(f.at("key").list_value().values_size(), 1);
  EXPECT_EQ(f.at("key").list_value().values(0).string_value(), "id");
  const Value& cell = f.at("cells_changed_examples").list_value().values(0);
  EXPECT_EQ(cell.struct_value().fields().at("key").string_value(), "3");
  EXPECT_EQ(cell.struct_value().fields().at("column").string_value(), "qty");
  EXPECT_EQ(cell.struct_value().fields().at("before").string_value(), "5");
  EXPECT_EQ(cell.struct_value().fields().at("after").string_value(), "7");
  const Value& added = f.at("rows_added_examples").list_value().values(0);
  EXPECT_EQ(added.list_value().values(0).string_value(), "5");
  const Value& removed = f.at("rows_removed_examples").list_value().values(0);
  EXPECT_EQ(removed.list_value().values(1).string_value(), "nut");
  EXPECT_EQ(cs.diagnostics_size(), 0);

  // Without a configured key, `id` is inferred (unique and non-empty on both sides): the same
  // rows, and the summary says how they were matched.
  Changeset inferred = Diff(DiffOptions{});
  EXPECT_EQ(Node(inferred).summary(),
            "1 row added; 1 row removed; 1 cell changed; rows matched by id (inferred)");
  EXPECT_TRUE(Node(inferred).details().fields().at("key_inferred").bool_value());
  EXPECT_EQ(inferred.diagnostics_size(), 0);

  // With `id` repeated there is no key: the reordered rows still match as a multiset, the
  // edited row is paired with nothing (it moved), so it counts as removed and added, and a hint
  // says how to do better.
  tree_.Write("a/inventory.csv", "id,name,qty\n1,bolt,10\n1,nut,20\n3,gear,5\n4,axle,2\n");
  tree_.Write("b/inventory.csv", "id,name,qty\n4,axle,2\n3,gear,7\n1,bolt,10\n5,cam,1\n");
  Changeset unkeyed = Diff(DiffOptions{});
  EXPECT_EQ(Node(unkeyed).summary(), "2 rows added; 2 rows removed");
  EXPECT_EQ(Node(unkeyed).details().fields().count("key"), 0u);
  ASSERT_EQ(unkeyed.diagnostics_size(), 1);
  EXPECT_EQ(unkeyed.diagnostics(0).severity(), changeset::v1::SEVERITY_INFO);
  EXPECT_EQ(unkeyed.diagnostics(0).code(), "table-key-not-found");
  EXPECT_EQ(unkeyed.diagnostics(0).message(),
            "inventory.csv: no column is unique on both sides; rows matched by content and "
            "position (name a key with --key)");
}

TEST_F(CsvEngineTest, CompositeKeysAndFullMatchOfThePath) {
  tree_.Write("a/sub/t.csv", "y,m,v\n2024,1,a\n2024,2,b\n");
  tree_.Write("b/sub/t.csv", "m,y,v\n2,2024,B\n1,2024,a\n");
  DiffOptions options;
  options.table_keys = {{"t\\.csv", {"y"}}, {"sub/t\\.csv", {"y", "m"}}};  // first: no full match
  Changeset cs = Diff(options);
  const DiffNode& n = Node(cs);
  EXPECT_EQ(n.path(), "sub/t.csv");
  EXPECT_EQ(n.summary(), "1 cell changed; columns reordered");
  const Value& cell = n.details().fields().at("cells_changed_examples").list_value().values(0);
  const auto& key = cell.struct_value().fields().at("key").list_value();
  ASSERT_EQ(key.values_size(), 2);
  EXPECT_EQ(key.values(0).string_value(), "2024");
  EXPECT_EQ(key.values(1).string_value(), "2");
}

TEST_F(CsvEngineTest, MissingKeyColumnFallsBackWithADiagnostic) {
  tree_.Write("a/t.csv", "id,v\n1,a\n2,b\n");
  tree_.Write("b/t.csv", "id,v\n1,a\n2,c\n");
  DiffOptions options;
  options.table_keys = {{".*", {"sku"}}};
  Changeset cs = Diff(options);
  EXPECT_EQ(Node(cs).summary(), "1 cell changed; rows matched by id (inferred)");
  ASSERT_EQ(cs.diagnostics_size(), 1);
  EXPECT_EQ(cs.diagnostics(0).code(), "table-key-missing");
  EXPECT_EQ(cs.diagnostics(0).message(),
            "t.csv: key column(s) sku not on both sides; the key is ignored");
}

// Options built in code skip the config's check: a pattern that does not compile is a warning
// naming it, the next entry still applies, and a catastrophic-backtracking pattern is harmless.
TEST_F(CsvEngineTest, InvalidAndBacktrackingPatternsAreHarmless) {
  const std::string name = std::string(40, 'a') + ".csv";
  tree_.Write("a/" + name, "id,v\n1,a\n2,b\n");
  tree_.Write("b/" + name, "id,v\n2,b\n1,c\n");
  DiffOptions options;
  options.table_keys = {{"(a*)*b", {"v"}}, {"data/(.*", {"v"}}, {"(a|aa)*\\.csv", {"id"}}};
  Changeset cs = Diff(options);
  EXPECT_EQ(Node(cs).summary(), "1 cell changed");  // keyed by id: row 1 edited, not moved
  ASSERT_EQ(cs.diagnostics_size(), 1);
  EXPECT_EQ(cs.diagnostics(0).code(), "invalid-table-key");
  EXPECT_NE(cs.diagnostics(0).message().find("'data/(.*' is invalid: missing )"), std::string::npos)
      << cs.diagnostics(0).message();
}

TEST_F(CsvEngineTest, InferredKeyPrefersIdLikeNamesThenTheFirstColumn) {
  // `name` (first) and `code` are both unique: the id-like name wins. Rows reordered, one edited.
  tree_.Write("a/t.csv", "name,code,v\nAda,X1,1\nBo,X2,2\nCy,X3,3\n");
  tree_.Write("b/t.csv", "name,code,v\nCy,X3,3\nBob,X2,2\nAda,X1,1\n");
  Changeset cs = Diff(DiffOptions{});
  EXPECT_EQ(Node(cs).summary(), "1 cell changed; rows matched by code (inferred)");
  const Value& cell =
      Node(cs).details().fields().at("cells_changed_examples").list_value().values(0);
  EXPECT_EQ(cell.struct_value().fields().at("key").string_value(), "X2");

  // No id-like name: the first column, when its values are distinct and not fractions.
  tree_.Write("a/t.csv", "name,v\nAda,1\nBo,2\nCy,3\n");
  tree_.Write("b/t.csv", "name,v\nCy,3\nBo,20\nAda,1\nDi,4\n");
  EXPECT_EQ(Node(Diff(DiffOptions{})).summary(),
            "1 row added; 1 cell changed; rows matched by name (inferred)");
  tree_.Write("a/t.csv", "x,y\n0.5,1\n0.7,2\n0.9,3\n");
  tree_.Write("b/t.csv", "x,y\n0.9,3\n0.7,20\n0.5,1\n0.1,4\n");
  cs = Diff(DiffOptions{});
  EXPECT_EQ(Node(cs).details().fields().count("key"), 0u);
  EXPECT_EQ(Node(cs).summary(), "1 row added; 1 cell changed");  // paired by position
  ASSERT_EQ(cs.diagnostics_size(), 1);
  EXPECT_EQ(cs.diagnostics(0).code(), "table-key-not-found");
}

TEST_F(CsvEngineTest, AGivenKeyWinsOverTheInferredOne) {
  tree_.Write("a/t.csv", "id,name,v\n1,Ada,1\n2,Bo,2\n");
  tree_.Write("b/t.csv", "id,name,v\n1,Ada,1\n3,Bo,2\n");
  EXPECT_EQ(Node(Diff(DiffOptions{})).summary(),
            "1 row added; 1 row removed; rows matched by id (inferred)");
  DiffOptions options;
  options.table_keys = {{".*", {"name"}}};
  Changeset cs = Diff(options);
  EXPECT_EQ(Node(cs).summary(), "1 cell changed");
  EXPECT_EQ(Node(cs).details().fields().count("key_inferred"), 0u);
}

// The sample of the first rows only proposes a key; the rows that changed must bear it out.
TEST_F(CsvEngineTest, InferredKeyRepeatedAmongChangedRowsIsNoKey) {
  std::string a = "id,v\n", b = a;
  for (int i = 0; i < 1500; ++i) {
    absl::StrAppend(&a, i, ",", i, "\n");
    absl::StrAppend(&b, i, ",", i == 1200 ? 0 : i, "\n");
  }
  absl::StrAppend(&b, "1200,again\n");  // past the sample, among the changed rows
  tree_.Write("a/t.csv", a);
  tree_.Write("b/t.csv", b);
  Changeset cs = Diff(DiffOptions{});
  EXPECT_EQ(Node(cs).details().fields().count("key"), 0u);
  EXPECT_EQ(Node(cs).summary(), "1 row added; 1 cell changed");
  ASSERT_EQ(cs.diagnostics_size(), 1);
  EXPECT_EQ(cs.diagnostics(0).code(), "table-key-not-found");
}

TEST_F(CsvEngineTest, HeaderlessTablesInferNoKey) {
  tree_.Write("a/t.csv", "1,2\n3,4\n5,6\n");
  tree_.Write("b/t.csv", "5,6\n3,40\n1,2\n");
  Changeset cs = Diff(DiffOptions{});
  EXPECT_EQ(Node(cs).details().fields().count("key"), 0u);
  ASSERT_EQ(cs.diagnostics_size(), 1);
  EXPECT_EQ(cs.diagnostics(0).message(),
            "t.csv: no header row to infer a key column from (columns are 1, 2, ...); rows "
            "matched by content and position (name a key with --key)");
  DiffOptions options;
  options.table_keys = {{".*", {"1"}}};
  EXPECT_EQ(Node(Diff(options)).summary(), "1 cell changed");
}

// '#' lines of a file that starts with them are comments: kept out of the rows, reported apart.
TEST_F(CsvEngineTest, CommentLinesAreAClericalChangeApartFromTheRows) {
  const std::string rows = "AD\t+4230+00131\tEurope/Andorra\nAE\t+2518+05518\tAsia/Dubai\n";
  tree_.Write("a/zone.tab", "# tz\n# version 1\n#code\tcoordinates\tTZ\n" + rows);
  tree_.Write("b/zone.tab", "# tz\n# version 2\n# new line\n#code\tcoordinates\tTZ\n" + rows);
  Changeset cs = Diff(DiffOptions{});
  const DiffNode& n = Node(cs);
  EXPECT_EQ(n.summary(), "Comments changed (2 lines; data unchanged)");
  EXPECT_EQ(std::vector<std::string>(n.tags().begin(), n.tags().end()),
            std::vector<std::string>{"comment-change"});
  EXPECT_EQ(Number(n, "rows_added") + Number(n, "rows_removed") + Number(n, "rows_modified"), 0);
  EXPECT_EQ(Number(n, "comment_lines_before"), 2);
  EXPECT_EQ(Number(n, "comment_lines_after"), 3);
  EXPECT_EQ(Number(n, "comment_lines_added"), 2);
  EXPECT_EQ(Number(n, "comment_lines_removed"), 1);
  EXPECT_EQ(n.details().fields().at("header").bool_value(), true);  // "#code\tcoordinates\tTZ"

  // A comment in the middle and an edited row: the row counts are the data's alone.
  tree_.Write("b/zone.tab", "# tz\n# version 1\n#code\tcoordinates\tTZ\n" + rows +
                                "# moved here\nAF\t+3431+06912\tAsia/Kabul\n");
  EXPECT_EQ(Node(Diff(DiffOptions{})).summary(), "1 row added; 1 comment line changed");
}

// Sides of different delimiters hash rows as comma-separated lines (one side from its text, the
// other from its fields): the same values are the same rows, a value holding a comma included.
TEST_F(CsvEngineTest, SidesOfDifferentDelimitersCompareTheirValues) {
  tree_.Write("a/t.csv", "id,name,note\n1,ann,\"x,y\"\n2,bob,plain\n3,cy,z\n");
  tree_.Write("b/t.csv", "id;name;note\n1;ann;x,y\n2;bob;plain\n3;cy;z\n");
  const Changeset cs = Diff(DiffOptions{});
  const DiffNode& same = Node(cs);
  EXPECT_EQ(std::vector<std::string>(same.tags().begin(), same.tags().end()),
            std::vector<std::string>{"format-change"})
      << same.summary();
  tree_.Write("b/t.csv", "id;name;note\n1;ann;x,y\n2;bob;edited\n3;cy;z\n");
  EXPECT_EQ(Node(Diff(DiffOptions{})).summary(), "1 cell changed; rows matched by id (inferred)");
}

TEST_F(CsvEngineTest, HashRowsOfATableWithAHeaderAreData) {
  tree_.Write("a/t.csv", "ticket,title\n#12,crash\n#13,hang\n");
  tree_.Write("b/t.csv", "ticket,title\n#12,crash\n#13,freeze\n#14,leak\n");
  EXPECT_EQ(Node(Diff(DiffOptions{})).summary(),
            "1 row added; 1 cell changed; rows matched by ticket (inferred)");
}

// Enough rows to cross the reader's buffers many times; examples stay bounded and in file order.
TEST_F(CsvEngineTest, LargeTableCountsAreExactAndExamplesBounded) {
  std::string a = "id,group,value\n", b = a;
  for (int i = 0; i < 200000; ++i) {
    std::string row = absl::StrCat(i, ",g", i % 7, ",", i * 3, "\n");
    a += row;
    if (i % 1000 == 0) continue;                                                 // 200 removed
    if (i % 997 == 0) row = absl::StrCat(i, ",g", i % 7, ",", i * 3 + 1, "\n");  // edited
    b += row;
  }
  for (int i = 0; i < 50; ++i) b += absl::StrCat("new", i, ",g0,0\n");
  tree_.Write("a/big.csv", a);
  tree_.Write("b/big.csv", b);
  DiffOptions options;
  options.max_examples = 3;
  Changeset cs = Diff(options);
  const DiffNode& n = Node(cs);
  EXPECT_EQ(Number(n, "rows_removed"), 200);
  EXPECT_EQ(Number(n, "rows_added"), 50);
  EXPECT_EQ(Number(n, "cells_changed"), 200);  // every 997th row but 0
  const auto& f = n.details().fields();
  EXPECT_EQ(f.at("rows_added_examples").list_value().values_size(), 3);
  EXPECT_EQ(f.at("cells_changed_examples").list_value().values_size(), 3);
  EXPECT_EQ(
      f.at("rows_removed_examples").list_value().values(0).list_value().values(0).string_value(),
      "0");
  EXPECT_EQ(f.at("cells_changed_examples")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("after")
                .string_value(),
            absl::StrCat(997 * 3 + 1));
}

}  // namespace
}  // namespace deltascope
