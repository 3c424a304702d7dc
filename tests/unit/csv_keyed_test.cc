// The csv comparator run through the real engine: keyed diffs (DiffOptions::table_keys), which
// the golden vectors cannot set, and a larger generated table.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/registry.h"
#include "daemon/stdlib/stdlib.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using google::protobuf::Value;

class CsvEngineTest : public ::testing::Test {
 protected:
  Changeset Diff(const DiffOptions& options) {
    ComparatorRegistry registry;
    EXPECT_TRUE(RegisterStdlibComparators(registry).ok());
    absl::StatusOr<std::vector<std::shared_ptr<Comparator>>> pipeline = registry.Pipeline({});
    EXPECT_TRUE(pipeline.ok());
    Engine engine(*pipeline, options);
    absl::StatusOr<Changeset> cs = engine.Diff(tree_ / "a", tree_ / "b", "a", "b");
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

  // Without the key the reordered rows still match as a multiset; the edited row is paired
  // with nothing (it moved), so it counts as removed and added.
  Changeset unkeyed = Diff(DiffOptions{});
  EXPECT_EQ(Node(unkeyed).summary(), "2 rows added; 2 rows removed");
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
  EXPECT_EQ(Node(cs).summary(), "1 cell changed");
  ASSERT_EQ(cs.diagnostics_size(), 1);
  EXPECT_EQ(cs.diagnostics(0).code(), "table-key-missing");
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
