// Row matching and cell comparison of the csv comparator, on hashes and on real files.
#include "daemon/stdlib/csv_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/csv_fixture.h"

namespace deltascope {
namespace {

std::vector<uint32_t> Indices(const std::vector<bool>& matched, bool want) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < matched.size(); ++i) {
    if (matched[i] == want) out.push_back(static_cast<uint32_t>(i));
  }
  return out;
}

std::vector<std::pair<uint32_t, uint32_t>> AsPairs(const std::vector<RowPair>& pairs) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (const RowPair& p : pairs) out.emplace_back(p.left, p.right);
  return out;
}

TEST(CsvMatchTest, MultisetMatchesRepeatsInFileOrder) {
  std::vector<bool> lm, rm;
  MatchMultiset({7, 5, 7, 9}, {5, 7, 8}, lm, rm);
  EXPECT_EQ(Indices(lm, false), (std::vector<uint32_t>{2, 3}));  // the second 7 and the 9
  EXPECT_EQ(Indices(rm, false), (std::vector<uint32_t>{2}));
}

TEST(CsvMatchTest, PairsUnmatchedRowsBetweenTheSameMatchedRows) {
  // Left rows 0..4; right has a new row at the top and row 4 edited.
  std::vector<bool> lm, rm;
  MatchMultiset({1, 2, 3, 4, 5}, {100, 1, 2, 3, 4, 55}, lm, rm);
  EXPECT_EQ(AsPairs(PairUnmatched(lm, rm)), (std::vector<std::pair<uint32_t, uint32_t>>{{4, 5}}));
  // Same row count, edits in place: positional pairs.
  MatchMultiset({1, 2, 3, 4}, {1, 20, 3, 40}, lm, rm);
  EXPECT_EQ(AsPairs(PairUnmatched(lm, rm)),
            (std::vector<std::pair<uint32_t, uint32_t>>{{1, 1}, {3, 3}}));
}

using CsvCellsTest = testing::CsvFileTest;

TEST_F(CsvCellsTest, ColumnsGetUniqueIds) {
  EXPECT_EQ(Table("a.csv", "x,y,x,x\n").columns,
            (std::vector<std::string>{"x", "y", "x#2", "x#3"}));
}

TEST_F(CsvCellsTest, ColumnPositionsInPlaceReorderedAndMissing) {
  CsvTable t = Table("p.csv", "a,b,c,d\n");
  EXPECT_EQ(ColumnPositions(t, {"a", "b", "c", "d"}), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(ColumnPositions(t, {"a", "b"}), (std::vector<int>{0, 1}));
  // In place up to "d", then looked up: the rest may sit anywhere, or nowhere.
  EXPECT_EQ(ColumnPositions(t, {"a", "d", "zz", "b", "c"}), (std::vector<int>{0, 3, -1, 1, 2}));
  EXPECT_EQ(ColumnPositions(t, {"d", "c", "b", "a"}), (std::vector<int>{3, 2, 1, 0}));
  EXPECT_EQ(ColumnPositions(t, {}), std::vector<int>{});
  EXPECT_EQ(ColumnPositions(Table("e.csv", ""), {"a"}), std::vector<int>{-1});
}

TEST_F(CsvCellsTest, ComparesCellsInBatchesAndRejectsUnlikeRows) {
  CsvTable left = Table("l.csv", "id,a,b,c\n1,x,y,z\n2,x,y,z\n3,x,y,z\n4,x,y,z\n");
  CsvTable right = Table("r.csv", "c,b,a,id\nz,y,X,1\nz,y,x,2\nZ,Y,X,3\nz,y,x,4\n");
  const std::vector<std::string> columns = {"c", "b", "a", "id"};
  const std::vector<RowPair> pairs = {{0, 0}, {1, 1}, {2, 2}, {3, 3}};
  for (size_t budget : {1u, 4u, 1000u}) {  // one pair per batch up to all at once
    absl::StatusOr<CellDiff> d =
        CompareCells(left, right, columns, pairs, 8, /*reject_unlike=*/true, context_, budget);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->changed, (std::vector<uint32_t>{1, 0, CellDiff::kUnlike, 0})) << budget;
    ASSERT_EQ(d->examples.size(), 1u);
    EXPECT_EQ(d->examples[0].pair, 0u);
    EXPECT_EQ(columns[d->examples[0].column], "a");
  }
  absl::StatusOr<CellDiff> all = CompareCells(left, right, columns, pairs, 2, false, context_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->changed, (std::vector<uint32_t>{1, 0, 3, 0}));
  ASSERT_EQ(all->examples.size(), 2u);  // capped, in (row, column) order
  EXPECT_EQ(all->examples[1].pair, 2u);
  EXPECT_EQ(columns[all->examples[1].column], "c");
}

TEST_F(CsvCellsTest, RowHashesIgnoreColumnOrderButNotRaggedTails) {
  CsvTable left = Table("l.csv", "a,b\n1,2\n1,2,extra\n");
  CsvTable right = Table("r.csv", "b,a\n2,1\n");
  const std::vector<std::string> canonical = {"a", "b"};
  std::vector<uint64_t> lh, rh;
  std::string scratch;
  for (auto [table, hashes] : {std::pair{&left, &lh}, std::pair{&right, &rh}}) {
    // Plain pointers for the lambda: clang before 16 cannot capture structured bindings.
    CsvTable* t = table;
    std::vector<uint64_t>* out = hashes;
    const std::vector<int> positions = ColumnPositions(*t, canonical);
    ASSERT_TRUE(ScanCsvRows(*t, context_, [&](uint32_t, const std::vector<std::string>& f) {
                  out->push_back(HashRow(f, positions, t->columns.size(), scratch));
                  return true;
                }).ok());
  }
  ASSERT_EQ(lh.size(), 2u);
  EXPECT_EQ(lh[0], rh[0]);
  EXPECT_NE(lh[1], rh[0]);
}

// The row hash writes values as one csv line: a value holding the separator, a quote or a line
// break is quoted, wherever that character sits, so moving it across a field boundary changes
// the hash ("ab,c" + "d" is not "ab" + "c,d").
TEST(CsvRowHashTest, ValuesHoldingTheSeparatorAQuoteOrALineBreakDoNotCollide) {
  const std::vector<int> two = {0, 1};
  std::string scratch;
  for (char separator : {',', ';', '\t', '|'}) {
    for (char special : {separator, '"', '\r', '\n'}) {
      for (size_t at = 0; at < 20; ++at) {
        const std::string text = std::string(at, 'x') + special + std::string(19 - at, 'y');
        // The same characters split at the special one, with it on either side.
        const std::vector<std::string> joined = {text, "z"};
        const std::vector<std::string> split_before = {text.substr(0, at),
                                                       text.substr(at) + special + "z"};
        const std::vector<std::string> split_after = {text.substr(0, at + 1),
                                                      text.substr(at + 1) + special + "z"};
        const uint64_t h = HashRow(joined, two, 2, scratch, separator);
        EXPECT_NE(h, HashRow(split_before, two, 2, scratch, separator)) << separator << at;
        EXPECT_NE(h, HashRow(split_after, two, 2, scratch, separator)) << separator << at;
        if (special == separator) {  // unquoted, these would be the same line as `joined`
          const std::vector<std::string> fields = {text.substr(0, at), text.substr(at + 1), "z"};
          const std::vector<int> three = {0, 1, 2};
          EXPECT_NE(h, HashRow(fields, three, 3, scratch, separator)) << separator << at;
        }
      }
    }
  }
}

// Every length and every position of the character that forces quoting (the check reads words
// of 8, 4+4 and single bytes): the hashed line is the quoted value.
TEST(CsvRowHashTest, AValueIsQuotedWhereverItsSpecialCharacterSits) {
  std::string scratch;
  for (char separator : {',', '\t'}) {
    for (char special : {separator, '"', '\r', '\n'}) {
      for (size_t length = 1; length <= 24; ++length) {
        for (size_t at = 0; at < length; ++at) {
          std::string value(length, 'v');
          value[at] = special;
          std::string quoted = "\"";
          for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
          quoted += '"';
          EXPECT_EQ(HashRow(std::vector<std::string>{value}, {0}, 1, scratch, separator),
                    HashCsvRowText(quoted))
              << length << " " << at;
        }
        const std::string plain(length, 'v');
        EXPECT_EQ(HashRow(std::vector<std::string>{plain}, {0}, 1, scratch, separator),
                  HashCsvRowText(plain));
      }
    }
  }
}

TEST_F(CsvCellsTest, FetchRowsReadsOnlyTheRowsAsked) {
  CsvTable t = Table("t.csv", "k\nr0\nr1\nr2\nr3\n");
  absl::StatusOr<std::map<uint32_t, std::vector<std::string>>> rows =
      FetchRows(t, {3, 1, 3}, context_);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(1), std::vector<std::string>{"r1"});
  EXPECT_EQ(rows->at(3), std::vector<std::string>{"r3"});
}

}  // namespace
}  // namespace deltascope
