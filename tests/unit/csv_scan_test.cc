// The csv comparator's fast record parser and chunked parallel scan, checked against CsvReader
// (the reference) on random tables full of quotes, line breaks and non-UTF-8 bytes.
#include "daemon/stdlib/csv_scan.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/stdlib/csv_record.h"
#include "daemon/stdlib/csv_table.h"
#include "tests/support/csv_fixture.h"

namespace deltascope {
namespace {

using Records = std::vector<std::vector<std::string>>;

// Random text over the characters that matter to the parser.
std::string RandomCsv(std::mt19937& rng, size_t length) {
  static const std::vector<std::string> kPieces = {
      "a", "bc", ",", ",", "\"", "\"\"", "\n", "\r\n", "\r", "\xC3\xA9", "\xE9", "x\"y", ";"};
  std::uniform_int_distribution<size_t> pick(0, kPieces.size() - 1);
  std::string out;
  while (out.size() < length) out += kPieces[pick(rng)];
  return out;
}

struct Reference {
  Records records;
  bool windows1252 = false;
};

Reference ReadWithCsvReader(const std::string& data, char delimiter) {
  CsvReader reader = CsvReader::FromString(data, delimiter);
  Reference ref;
  std::vector<std::string> fields;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(fields);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    ref.records.push_back(fields);
  }
  ref.windows1252 = reader.used_windows1252();
  return ref;
}

TEST(CsvRecordParserTest, ReadsExactlyAsCsvReader) {
  std::mt19937 rng(7);
  for (int round = 0; round < 3000; ++round) {
    const std::string data = RandomCsv(rng, 1 + round % 60);
    const char delimiter = round % 5 == 0 ? ';' : ',';
    const Reference want = ReadWithCsvReader(data, delimiter);
    Records got;
    bool windows1252 = false;
    CsvRecord record;
    size_t pos = 0;
    while (ParseCsvRecord(data, pos, /*at_end=*/true, delimiter, record) == CsvParse::kRecord) {
      got.emplace_back(record.fields.begin(), record.fields.end());
      windows1252 |= record.windows1252;
    }
    ASSERT_EQ(got, want.records) << "input: " << data;
    EXPECT_EQ(windows1252, want.windows1252) << "input: " << data;
  }
}

TEST(CsvRecordParserTest, CutBufferAsksForMoreOrAgreesWithTheWholeOne) {
  std::mt19937 rng(11);
  for (int round = 0; round < 400; ++round) {
    const std::string data = RandomCsv(rng, 40);
    CsvRecord whole, cut;
    size_t end_whole = 0;
    const CsvParse r = ParseCsvRecord(data, end_whole, true, ',', whole);
    for (size_t n = 0; n <= data.size(); ++n) {
      size_t pos = 0;
      const CsvParse c = ParseCsvRecord(std::string_view(data).substr(0, n), pos, false, ',', cut);
      if (c == CsvParse::kNeedMore) continue;
      ASSERT_EQ(c, r) << data << " cut at " << n;
      EXPECT_EQ(pos, end_whole) << data << " cut at " << n;
      EXPECT_EQ(std::vector<std::string>(cut.fields.begin(), cut.fields.end()),
                std::vector<std::string>(whole.fields.begin(), whole.fields.end()));
    }
  }
}

TEST(CsvRecordParserTest, QuotedFieldsAreViewsOrRebuilt) {
  const std::string data = "\"plain\",\"a\"\"b\",\"x\"tail,\"multi\nline\"\n";
  CsvRecord record;
  size_t pos = 0;
  ASSERT_EQ(ParseCsvRecord(data, pos, true, ',', record), CsvParse::kRecord);
  EXPECT_EQ(std::vector<std::string>(record.fields.begin(), record.fields.end()),
            (std::vector<std::string>{"plain", "a\"b", "xtail", "multi\nline"}));
  EXPECT_EQ(pos, data.size());
}

class CsvScanTest : public testing::CsvFileTest {
 protected:
  struct Seen {
    Records rows;
    std::vector<uint64_t> values;
    uint64_t count = 0;
    bool windows1252 = false;
  };

  // Every row with a per-row hash computed by the mapper, `stop_after` rows at most.
  Seen Scan(const CsvTable& table, CsvScanTuning tuning, size_t stop_after = SIZE_MAX) {
    Seen seen;
    absl::StatusOr<CsvScanInfo> info = ScanCsvRowsParallel(
        table, context_,
        [](const std::vector<std::string_view>& fields, std::string& scratch) {
          scratch.clear();
          for (std::string_view f : fields)
            absl::StrAppend(&scratch, f.size(), ":", absl::string_view(f.data(), f.size()));
          return CsvRowValue{XXH3_64bits(scratch.data(), scratch.size())};
        },
        [&](uint32_t row, const CsvRowValue& v, const CsvRowRef& ref) {
          EXPECT_EQ(row, seen.rows.size());
          seen.rows.push_back(ref.fields());
          seen.values.push_back(v.hash);
          return seen.rows.size() < stop_after;
        },
        tuning);
    EXPECT_TRUE(info.ok()) << info.status();
    if (info.ok()) {
      seen.count = info->rows;
      seen.windows1252 = info->windows1252;
    }
    return seen;
  }

  CsvTable RawTable(const std::string& name, const std::string& content, bool header) {
    tree_.Write(name, content);
    CsvTable t;
    t.path = tree_ / name;
    t.dialect.header = header;
    return t;
  }
};

TEST_F(CsvScanTest, AnyChunkingAndThreadCountGivesTheSequentialRows) {
  std::mt19937 rng(3);
  for (int round = 0; round < 60; ++round) {
    std::string data = RandomCsv(rng, 200 + round * 37);
    if (round % 3 == 1) {  // mostly plain rows (the delimiting fast path), a few odd ones
      data.clear();
      for (int i = 0; i < 50 + round; ++i) {
        absl::StrAppend(&data, i, ",v", i, i % 17 == 0 ? ",\"q\nq\"" : "",
                        i % 13 == 0 ? "\xE9" : "", i % 7 == 0 ? "\r\n" : "\n");
      }
    }
    if (round % 4 == 0) data = "\xEF\xBB\xBF" + data;
    const bool header = round % 2 == 0;
    const CsvTable table = RawTable(absl::StrCat("t", round, ".csv"), data, header);
    // The reference: CsvReader's pass, the header dropped.
    Reference want = ReadWithCsvReader(data, ',');
    if (header && !want.records.empty()) want.records.erase(want.records.begin());
    for (int threads : {1, 2, 3}) {
      for (size_t chunk : {size_t{1}, size_t{7}, size_t{64}, size_t{4} << 20}) {
        const Seen seen = Scan(table, {threads, chunk});
        ASSERT_EQ(seen.rows, want.records)
            << "threads " << threads << " chunk " << chunk << " input: " << data;
        EXPECT_EQ(seen.count, want.records.size());
        EXPECT_EQ(seen.windows1252, want.windows1252);
        const Seen one = Scan(table, {1, size_t{4} << 20});
        EXPECT_EQ(seen.values, one.values);
        // Without fields for the mapper, plain rows are only delimited: the same rows.
        const Seen delimited = Scan(table, {threads, chunk, /*fields=*/false});
        EXPECT_EQ(delimited.rows, want.records);
        EXPECT_EQ(delimited.windows1252, want.windows1252);
      }
    }
  }
}

// Plain records hashed from their text (HashCsvRowText) get the row hash that HashRow gives
// their fields, whatever the table's width and delimiter: short rows, ragged tails, quoted,
// non-ASCII and Windows-1252 rows (which take the fields' path) included.
TEST_F(CsvScanTest, RowHashFromTextEqualsRowHashFromFields) {
  std::mt19937 rng(11);
  for (int round = 0; round < 40; ++round) {
    std::string data = RandomCsv(rng, 300 + round * 23);
    if (round % 2 == 1) {
      data.clear();
      for (int i = 0; i < 80; ++i) {
        absl::StrAppend(&data, i, i % 5 == 0 ? "" : ",v", i % 3 == 0 ? ",," : ",w",
                        i % 11 == 0 ? ",\"q,\"\"q\"" : "", i % 13 == 0 ? "\xE9" : "", "\n");
      }
    }
    const char delimiter = round % 4 < 2 ? ',' : ';';
    if (delimiter == ';') {  // the same structure, delimited by ';' (and ',' now plain text)
      for (char& c : data) c = c == ',' ? ';' : c == ';' ? ',' : c;
    }
    const Reference want = ReadWithCsvReader(data, delimiter);
    CsvTable table = RawTable(absl::StrCat("h", round, ".csv"), data, false);
    table.dialect.delimiter = delimiter;
    for (size_t width = 1; width <= 4; ++width) {
      std::vector<int> identity(width);
      std::iota(identity.begin(), identity.end(), 0);
      std::vector<uint64_t> expected;
      std::string scratch;
      for (const std::vector<std::string>& r : want.records) {
        expected.push_back(HashRow(r, identity, width, scratch, delimiter));
      }
      auto text_hash = [](std::string_view text) { return CsvRowValue{HashCsvRowText(text)}; };
      const CsvPlainRowMapper plain{text_hash, width};
      for (size_t chunk : {size_t{16}, size_t{4} << 20}) {
        std::vector<uint64_t> got;
        absl::StatusOr<CsvScanInfo> info = ScanCsvRowsParallel(
            table, context_,
            [&](const std::vector<std::string_view>& fields, std::string& s) {
              return CsvRowValue{HashRow(fields, identity, width, s, delimiter)};
            },
            [&](uint32_t, const CsvRowValue& v, const CsvRowRef&) {
              got.push_back(v.hash);
              return true;
            },
            CsvScanTuning{.threads = 2, .chunk_bytes = chunk, .plain = &plain});
        ASSERT_TRUE(info.ok()) << info.status();
        ASSERT_EQ(got, expected) << "width " << width << " chunk " << chunk << " input: " << data;
      }
    }
  }
}

TEST_F(CsvScanTest, QuotedLineBreaksAcrossChunkCutsAreReparsed) {
  // Every cut guessed after a line break falls inside a quoted field.
  std::string data = "id,text\n";
  for (int i = 0; i < 200; ++i) absl::StrAppend(&data, i, ",\"line\nline\nline\"\n");
  const CsvTable table = RawTable("q.csv", data, true);
  for (size_t chunk : {size_t{5}, size_t{16}, size_t{100}}) {
    const Seen seen = Scan(table, {2, chunk});
    ASSERT_EQ(seen.rows.size(), 200u) << chunk;
    EXPECT_EQ(seen.rows[199], (std::vector<std::string>{"199", "line\nline\nline"}));
  }
}

TEST_F(CsvScanTest, VisitorCanStopThePassEarly) {
  std::string data;
  for (int i = 0; i < 1000; ++i) absl::StrAppend(&data, i, ",x\n");
  const CsvTable table = RawTable("s.csv", data, false);
  const Seen seen = Scan(table, {2, 64}, 10);
  ASSERT_EQ(seen.rows.size(), 10u);
  EXPECT_EQ(seen.rows[9], (std::vector<std::string>{"9", "x"}));
}

TEST_F(CsvScanTest, TooLongRecordFailsAsCsvReaderDoes) {
  const std::string data = "a,\"" + std::string(kMaxCsvRecordBytes + 10, 'x') + "\"\nb,c\n";
  const CsvTable table = RawTable("long.csv", data, false);
  for (int threads : {1, 2}) {
    absl::StatusOr<CsvScanInfo> info = ScanCsvRowsParallel(
        table, context_, NoRowValue,
        [](uint32_t, const CsvRowValue&, const CsvRowRef&) { return true; }, {threads, 1u << 20});
    ASSERT_FALSE(info.ok());
    EXPECT_TRUE(absl::IsFailedPrecondition(info.status())) << info.status();
  }
}

}  // namespace
}  // namespace deltascope
