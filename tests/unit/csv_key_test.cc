// Key columns of the csv comparator: which names and values make an inferred key, the pairing
// by key of the rows content matching left over (in memory and in slices), and `--key`.
#include "daemon/stdlib/csv_key.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/config/config.h"
#include "tests/support/csv_fixture.h"

namespace deltascope {
namespace {

TEST(CsvKeyNameTest, IdLikeNames) {
  for (const char* name :
       {"id", "ID", " Id ", "key", "code", "uuid", "icao", "iata", "sku", "country_id", "userId",
        "parent-ID", "Postal Code", "iso_a2", "ISO3166", "iso", "zip_code", "row.key"}) {
    EXPECT_TRUE(IsIdLikeColumnName(name)) << name;
  }
  for (const char* name :
       {"name", "valid", "paid", "grid", "idea", "keyboard", "codes", "city", "", "identity"}) {
    EXPECT_FALSE(IsIdLikeColumnName(name)) << name;
  }
}

TEST(CsvKeyNameTest, CandidatesAreIdLikeNamesThenTheFirstColumn) {
  EXPECT_EQ(KeyCandidates({"name", "code", "v", "icao"}),
            (std::vector<std::string>{"code", "icao", "name"}));
  EXPECT_EQ(KeyCandidates({"id", "name"}), (std::vector<std::string>{"id"}));
  EXPECT_EQ(KeyCandidates({"a", "b"}), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(KeyCandidates({}).empty());
  std::vector<std::string> many;
  for (int i = 0; i < 20; ++i) many.push_back(absl::StrCat("c", i, "_id"));
  EXPECT_EQ(KeyCandidates(many).size(), kMaxIdLikeCandidates);
}

TEST(CsvKeyValueTest, PlausibleValues) {
  for (const char* v : {"EGLL", "42", "-7", "2024-01-31", "a b", "1.2.3", "x.5", "1e", "e5"}) {
    EXPECT_TRUE(PlausibleKeyValue(v)) << v;
  }
  for (const char* v : {"", "  ", "0.25", "-1.5", "+.5", "3.", "1e5", "-2.5E-3"}) {
    EXPECT_FALSE(PlausibleKeyValue(v)) << v;
  }
  EXPECT_TRUE(PlausibleKeyValue(std::string(256, 'k')));
  EXPECT_FALSE(PlausibleKeyValue(std::string(257, 'k')));
}

class UnmatchedRowKeysTest : public testing::CsvFileTest {
 protected:
  // Every row of both tables is unpaired (as if no row were equal): feeds them all, then pairs.
  std::optional<KeyedPairing> PairAll(const CsvTable& left, const CsvTable& right,
                                      std::vector<std::vector<std::string>> candidates,
                                      bool inferred, size_t budget = kKeyPairingBudget) {
    UnmatchedRowKeys keys(left, right, std::move(candidates), inferred, budget);
    std::vector<bool> matched[2];
    for (int side = 0; side < 2; ++side) {
      auto scan = ScanCsvRows(side == 0 ? left : right, context_,
                              [&](uint32_t row, const std::vector<std::string>& fields) {
                                keys.Add(side == 0, row, fields);
                                matched[side].push_back(false);
                                return true;
                              });
      EXPECT_TRUE(scan.ok()) << scan.status();
    }
    absl::StatusOr<std::optional<KeyedPairing>> pairing =
        keys.Pair(matched[0], matched[1], context_);
    EXPECT_TRUE(pairing.ok()) << pairing.status();
    return pairing.ok() ? *pairing : std::nullopt;
  }

  static std::vector<std::pair<uint32_t, uint32_t>> Pairs(const KeyedPairing& k) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (const RowPair& p : k.pairs) out.emplace_back(p.left, p.right);
    return out;
  }
};

TEST_F(UnmatchedRowKeysTest, InferredKeyIsTheFirstCandidateDistinctAndPlausibleOnBothSides) {
  // `dup` repeats on the right, `blank` has an empty value, `frac` holds fractions: `code` wins.
  const CsvTable l = Table("l.csv", "dup,blank,frac,code\n1,a,0.5,X\n2,b,0.25,Y\n3,c,1.5,Z\n");
  const CsvTable r = Table("r.csv", "dup,blank,frac,code\n1,a,0.5,Z\n1,,0.75,X\n4,d,2.5,W\n");
  std::optional<KeyedPairing> k = PairAll(l, r, {{"dup"}, {"blank"}, {"frac"}, {"code"}}, true);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->key, 3u);
  EXPECT_EQ(Pairs(*k), (std::vector<std::pair<uint32_t, uint32_t>>{{0, 1}, {2, 0}}));
  EXPECT_EQ(k->duplicate_keys, 0u);
  // None works: no key.
  EXPECT_FALSE(PairAll(l, r, {{"dup"}, {"frac"}}, true).has_value());
}

TEST_F(UnmatchedRowKeysTest, GivenKeyPairsRepeatsInFileOrderAndCountsThem) {
  const CsvTable l = Table("l.csv", "k,v\na,1\nb,2\nb,3\n,4\n");
  const CsvTable r = Table("r.csv", "k,v\nb,5\n,6\nb,7\nb,8\nc,9\n");
  std::optional<KeyedPairing> k = PairAll(l, r, {{"k"}}, /*inferred=*/false);
  ASSERT_TRUE(k.has_value());
  // b: left 1,2 with right 0,2 in file order; the empty key pairs too; a and c are alone.
  EXPECT_EQ(Pairs(*k), (std::vector<std::pair<uint32_t, uint32_t>>{{1, 0}, {2, 2}, {3, 1}}));
  EXPECT_EQ(k->duplicate_keys, 3u);  // b once on the left, twice on the right
}

// Past the memory budget the rows are gathered again per slice of key hashes: same pairs.
TEST_F(UnmatchedRowKeysTest, SlicesGiveTheSamePairsAsOnePass) {
  std::string a = "id,v\n", b = "id,v\n";
  for (int i = 0; i < 5000; ++i) {
    absl::StrAppend(&a, "k", (i * 7919) % 5000, ",", i, "\n");
    if (i % 3) absl::StrAppend(&b, "k", i, ",x", i, "\n");
  }
  const CsvTable l = Table("l.csv", a);
  const CsvTable r = Table("r.csv", b);
  std::optional<KeyedPairing> whole = PairAll(l, r, {{"id"}}, true);
  std::optional<KeyedPairing> sliced = PairAll(l, r, {{"id"}}, true, /*budget=*/4096);
  ASSERT_TRUE(whole.has_value() && sliced.has_value());
  EXPECT_EQ(whole->pairs.size(), 3333u);
  EXPECT_EQ(Pairs(*whole), Pairs(*sliced));
  // A repeat found in one slice rejects the inferred key.
  const CsvTable r2 = Table("r2.csv", b + "k1,again\n");
  EXPECT_FALSE(PairAll(l, r2, {{"id"}}, true, 4096).has_value());
}

TEST_F(UnmatchedRowKeysTest, SampleDropsRepeatsBlanksAndFractions) {
  const CsvTable t = Table("t.csv", "a,b,c,d\n1,x,0.5,p\n2,x,1,q\n3,,2,p\n");
  absl::StatusOr<std::vector<std::string>> kept =
      SampleKeyCandidates(t, {"a", "b", "c", "d"}, context_);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, (std::vector<std::string>{"a"}));
  // Only the first rows count: `d` repeats in row 3.
  kept = SampleKeyCandidates(t, {"d"}, context_, /*rows=*/2);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, (std::vector<std::string>{"d"}));
}

// --key [GLOB:]COLUMN[,COLUMN...]: the glob becomes the regex the config's tables use.
TEST(CsvKeyOptionTest, GlobsMatchLogicalPaths) {
  struct Case {
    std::string spec;
    std::vector<std::string> match, no_match;
  };
  const std::vector<Case> cases = {
      {"airports.csv:icao",
       {"airports.csv", "data/airports.csv", "a.zip/x/airports.csv"},
       {"airports.csv.bak", "airportsXcsv", "old-airports.csv"}},
      {"data/*.csv:id", {"data/a.csv", "data/.csv"}, {"data/sub/a.csv", "x/data/a.csv"}},
      {"data/**/*.csv:id", {"data/a.csv", "data/sub/deep/a.csv"}, {"other/a.csv"}},
      {"**:id", {"", "a.csv", "x/y/z.tsv"}, {}},
      {"*:id", {"", "a.csv", "x/a.csv"}, {}},
      {"t?.csv:id", {"t1.csv"}, {"t12.csv", "t/.csv"}},
      {"t[0-9].csv:id", {"t3.csv"}, {"tx.csv"}},
      {"t[!0-9].csv:id", {"tx.csv"}, {"t3.csv"}},
      {"a\\*.csv:id", {"a*.csv"}, {"ab.csv"}},
      {"(x)+.csv:id", {"(x)+.csv"}, {"xx.csv"}},
      {"id", {"", "a.csv", "x/y.tsv"}, {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<TableKey> key = ParseKeyOption(c.spec);
    ASSERT_TRUE(key.ok()) << c.spec << ": " << key.status();
    const RE2 re(key->path_regex);
    ASSERT_TRUE(re.ok()) << key->path_regex;
    for (const std::string& p : c.match) EXPECT_TRUE(RE2::FullMatch(p, re)) << c.spec << " " << p;
    for (const std::string& p : c.no_match) {
      EXPECT_FALSE(RE2::FullMatch(p, re)) << c.spec << " " << p;
    }
  }
  absl::StatusOr<TableKey> composite = ParseKeyOption("people.csv:last name,first");
  ASSERT_TRUE(composite.ok());
  EXPECT_EQ(composite->columns, (std::vector<std::string>{"last name", "first"}));
}

TEST(CsvKeyOptionTest, BadSpecsAreOneLineErrors) {
  EXPECT_EQ(ParseKeyOption("a.csv:").status().message(),
            "--key 'a.csv:': expected [GLOB:]COLUMN[,COLUMN...], with no empty column");
  EXPECT_EQ(ParseKeyOption("a.csv:id,,x").status().message(),
            "--key 'a.csv:id,,x': expected [GLOB:]COLUMN[,COLUMN...], with no empty column");
  EXPECT_EQ(ParseKeyOption("[ab.csv:id").status().message(),
            "--key '[ab.csv:id': unterminated '[' in the pattern");
  EXPECT_TRUE(ParseKeyOption(":id").ok());  // an empty glob: every table
}

TEST(CsvKeyOptionTest, KeysGoFirstInTheConfigTheDaemonReads) {
  absl::StatusOr<TableKey> key = ParseKeyOption("*.csv:icao");
  ASSERT_TRUE(key.ok());
  absl::StatusOr<std::string> yaml = ConfigYamlWithTableKeys(
      "moves: false\ntables:\n  - path: 'a\\.csv'\n    key: [id]\n", {*key});
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  absl::StatusOr<Config> config = ParseConfig(*yaml, "request");
  ASSERT_TRUE(config.ok()) << config.status() << "\n" << *yaml;
  ASSERT_EQ(config->table_keys.size(), 2u);
  EXPECT_EQ(config->table_keys[0].path_regex, key->path_regex);
  EXPECT_EQ(config->table_keys[0].columns, (std::vector<std::string>{"icao"}));
  EXPECT_EQ(config->table_keys[1].path_regex, "a\\.csv");
  EXPECT_EQ(config->moves, false);
  // No config at all.
  yaml = ConfigYamlWithTableKeys("", {*key});
  ASSERT_TRUE(yaml.ok());
  config = ParseConfig(*yaml, "request");
  ASSERT_TRUE(config.ok()) << config.status() << "\n" << *yaml;
  EXPECT_EQ(config->table_keys.size(), 1u);
}

}  // namespace
}  // namespace deltascope
