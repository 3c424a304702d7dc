// The csv comparator's dialect sniffer and streaming record parser.
#include "daemon/stdlib/csv_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using Records = std::vector<std::vector<std::string>>;

Records ReadAll(CsvReader& reader) {
  Records out;
  std::vector<std::string> fields;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(fields);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    out.push_back(fields);
  }
  return out;
}

Records Parse(std::string data, char delimiter = ',') {
  CsvReader reader = CsvReader::FromString(std::move(data), delimiter);
  return ReadAll(reader);
}

CsvDialect Sniff(std::string_view head, char preferred = ',') {
  absl::StatusOr<CsvDialect> d = SniffCsvDialect(head, /*complete=*/true, preferred);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : CsvDialect{};
}

TEST(CsvParserTest, QuotedFieldsKeepEmbeddedNewlinesAndDelimiters) {
  EXPECT_EQ(Parse("id,body\n1,\"line one\nline two, still\"\n2,x\n"),
            (Records{{"id", "body"}, {"1", "line one\nline two, still"}, {"2", "x"}}));
  EXPECT_EQ(Parse("a,\"crlf\r\ninside\"\r\n"), (Records{{"a", "crlf\r\ninside"}}));
}

TEST(CsvParserTest, DoubledQuotesAreLiteralQuotes) {
  EXPECT_EQ(Parse("\"he said \"\"hi\"\"\",\"\"\"\",\"\"\n"),
            (Records{{"he said \"hi\"", "\"", ""}}));
  // Lenient: text after a closing quote is kept; a quote inside an unquoted field is literal.
  EXPECT_EQ(Parse("\"ab\"cd,e\"f\n"), (Records{{"abcd", "e\"f"}}));
}

TEST(CsvParserTest, RaggedRowsKeepTheirFieldCounts) {
  EXPECT_EQ(Parse("a,b,c\n1,2\n3,4,5,6\n7,8,\n"),
            (Records{{"a", "b", "c"}, {"1", "2"}, {"3", "4", "5", "6"}, {"7", "8", ""}}));
}

TEST(CsvParserTest, LineEndingsBlankLinesAndMissingFinalNewline) {
  EXPECT_EQ(Parse("a;b\r\n\r\n1;2\r3;4\n\n5;6", ';'),
            (Records{{"a", "b"}, {"1", "2"}, {"3", "4"}, {"5", "6"}}));
}

TEST(CsvParserTest, NulBytesAreData) {
  Records r = Parse(std::string("a\0b,c\n", 6));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0], std::string("a\0b", 3));
  EXPECT_EQ(r[0][1], "c");
}

TEST(CsvParserTest, BomIsDroppedAndWindows1252IsDecoded) {
  CsvReader reader = CsvReader::FromString("\xEF\xBB\xBFname\nCaf\xE9 \x80\x39\n", ',');
  EXPECT_EQ(ReadAll(reader), (Records{{"name"}, {"Café €9"}}));
  EXPECT_TRUE(reader.bom());
  EXPECT_TRUE(reader.used_windows1252());

  CsvReader utf8 = CsvReader::FromString("name\nCafé\n", ',');
  EXPECT_EQ(ReadAll(utf8), (Records{{"name"}, {"Café"}}));
  EXPECT_FALSE(utf8.bom());
  EXPECT_FALSE(utf8.used_windows1252());
}

TEST(CsvParserTest, UnterminatedQuoteRunsToTheEnd) {
  CsvReader reader = CsvReader::FromString("a,\"open\nb,c\n", ',');
  EXPECT_EQ(ReadAll(reader), (Records{{"a", "open\nb,c\n"}}));
  EXPECT_TRUE(reader.unterminated_quote());
}

// From a file, so records cross the reader's 64 KB buffer boundaries.
TEST(CsvParserTest, SingleOneMegabyteLineAndQuotesAcrossBufferBoundaries) {
  testing::ScratchTree tree;
  const std::string big(1 << 20, 'x');
  std::string quoted;  // many "" pairs: some straddle a buffer boundary
  for (int i = 0; i < 50000; ++i) quoted += "ab\"\"";
  std::string expected_quoted;
  for (int i = 0; i < 50000; ++i) expected_quoted += "ab\"";
  tree.Write("big.csv", "h1,h2\n" + big + ",\"" + quoted + "\"\r\nlast,row");
  absl::StatusOr<CsvReader> reader = CsvReader::Open(tree / "big.csv", ',');
  ASSERT_TRUE(reader.ok()) << reader.status();
  Records r = ReadAll(*reader);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1][0].size(), big.size());
  EXPECT_EQ(r[1][0], big);
  EXPECT_EQ(r[1][1], expected_quoted);
  EXPECT_EQ(r[2], (std::vector<std::string>{"last", "row"}));
}

TEST(CsvParserTest, CommentLinesAreCountedNotReturned) {
  CsvReader reader = CsvReader::FromString(
      "# one, \"unterminated\n\n#two\r\na,b\n#three\n1,2\n #not a comment\n", ',');
  reader.SetComments(true, /*header_in_comment=*/false);
  EXPECT_EQ(ReadAll(reader), (Records{{"a", "b"}, {"1", "2"}, {" #not a comment"}}));
  EXPECT_EQ(reader.comment_lines(), 3u);
  ASSERT_EQ(reader.comment_hashes().size(), 3u);
  EXPECT_TRUE(reader.header_comment().empty());

  // Without comments (the default) the same lines are records.
  EXPECT_EQ(Parse("#x,y\n1,2\n"), (Records{{"#x", "y"}, {"1", "2"}}));

  // The header comment: the last comment before the first record, '#' and spaces dropped.
  CsvReader named = CsvReader::FromString("# about\n## id\tname\nx\ty\n#later\n", '\t');
  named.SetComments(true, true);
  EXPECT_EQ(ReadAll(named), (Records{{"x", "y"}}));
  EXPECT_EQ(named.header_comment(), "id\tname");
  EXPECT_EQ(named.comment_lines(), 2u);  // "# about" and "#later"

  // Comment lines alone: all of them are comments, none is a header.
  CsvReader only = CsvReader::FromString("#a\n#b\n", ',');
  only.SetComments(true, true);
  EXPECT_TRUE(ReadAll(only).empty());
  EXPECT_EQ(only.comment_lines(), 2u);
  EXPECT_TRUE(only.header_comment().empty());
}

TEST(CsvParserTest, CommentDigestFollowsContentAndOrder) {
  auto digest = [](std::string data) {
    CsvReader r = CsvReader::FromString(std::move(data), ',');
    r.SetComments(true, false);
    ReadAll(r);
    return r.comment_digest();
  };
  EXPECT_EQ(digest("#a\n#b\n1,2\n"), digest("#a\r\n#b\r\n1,2\n"));
  EXPECT_NE(digest("#a\n#b\n1,2\n"), digest("#b\n#a\n1,2\n"));
  EXPECT_NE(digest("#a\n#b\n1,2\n"), digest("#a\n#b \n1,2\n"));
}

TEST(CsvParserTest, MissingFileIsAnError) {
  EXPECT_FALSE(CsvReader::Open("/nonexistent/deltascope/x.csv", ',').ok());
}

TEST(CsvSnifferTest, FindsTheDelimiter) {
  EXPECT_EQ(Sniff("a,b,c\n1,2,3\n4,5,6\n").delimiter, ',');
  EXPECT_EQ(Sniff("a\tb\tc\n1\t2\t3\n").delimiter, '\t');
  EXPECT_EQ(Sniff("a|b\n1|2\n").delimiter, '|');
  // Decimal commas do not fool it: only ';' splits every record the same way.
  EXPECT_EQ(Sniff("produit;prix\npommes;1,20\npoires;2,50\n").delimiter, ';');
  // Quoted delimiters do not count.
  EXPECT_EQ(Sniff("name;note\n\"a,b,c\";x\n\"d,e\";y\n").delimiter, ';');
}

TEST(CsvSnifferTest, TiesAndSingleColumnsFollowTheFileName) {
  // Both ',' and '\t' split evenly: the .tsv name decides.
  EXPECT_EQ(Sniff("last, first\tage\nDoe, J\t4\n", '\t').delimiter, '\t');
  EXPECT_EQ(Sniff("last, first\tage\nDoe, J\t4\n", ',').delimiter, ',');
  EXPECT_EQ(Sniff("id\n1\n2\n", '|').delimiter, '|');
}

TEST(CsvSnifferTest, DetectsHeaderRows) {
  EXPECT_TRUE(Sniff("name,age\nbob,3\n").header);
  EXPECT_TRUE(Sniff("a,b,c\n").header);         // header only
  EXPECT_FALSE(Sniff("1,2\n3,4\n").header);     // numbers are data
  EXPECT_FALSE(Sniff("a,,c\n1,2,3\n").header);  // an empty name
  EXPECT_FALSE(Sniff("x,x\n1,2\n").header);     // repeated names
  EXPECT_FALSE(Sniff("").header);
}

// A header wider than the sniffed head: the head ends inside it, perhaps inside a name.
TEST(CsvSnifferTest, HeaderWiderThanTheHeadIsStillAHeader) {
  std::string names, numbers;
  for (int i = 0; i < 20000; ++i) {
    absl::StrAppend(&names, i ? "," : "", "c", i);
    absl::StrAppend(&numbers, i ? "," : "", i % 10);
  }
  ASSERT_GT(names.size(), kCsvSniffBytes);
  // Where the head ends: inside a name "c1xxxx", cut to "c1x" (which repeats an earlier name),
  // to "c" (no number), or just after the comma ("").
  const size_t comma = names.find(',', kCsvSniffBytes - 16);
  for (size_t cut : {comma + 4, comma + 2, comma + 1}) {
    absl::StatusOr<CsvDialect> d = SniffCsvDialect(names.substr(0, cut), false, ',');
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_TRUE(d->header) << cut;
  }
  absl::StatusOr<CsvDialect> data = SniffCsvDialect(numbers.substr(0, 30001), false, ',');
  ASSERT_TRUE(data.ok());
  EXPECT_FALSE(data->header);
}

TEST(CsvSnifferTest, LeadingCommentLinesMakeEveryHashLineAComment) {
  // A tzdb-style table: comments, a commented header, rows of 3 or 4 fields, a late comment.
  const std::string tab =
      "# tzdb timezone descriptions\n#\n# He said \"hi\n#codes\tcoordinates\tTZ\tcomments\n"
      "AD\t+4230+00131\tEurope/Andorra\nAE\t+2518+05518\tAsia/Dubai\n#late\n"
      "AQ\t-6617+11031\tAntarctica/Casey\tCasey\n";
  CsvDialect d = Sniff(tab, '\t');
  EXPECT_EQ(d.delimiter, '\t');
  EXPECT_TRUE(d.comments);
  EXPECT_TRUE(d.header);
  EXPECT_TRUE(d.comment_header);
  // Comments, but the first record is the header: the comments stay comments.
  d = Sniff("# exported 2024-01-01\nid,name\n1,a\n");
  EXPECT_TRUE(d.comments);
  EXPECT_TRUE(d.header);
  EXPECT_FALSE(d.comment_header);
  // A commented line that does not fit the records is no header.
  d = Sniff("# note\n1,2\n3,4\n");
  EXPECT_TRUE(d.comments);
  EXPECT_FALSE(d.header);
  d = Sniff("#id,name,extra,more\n1,2\n3,4\n");
  EXPECT_FALSE(d.header);
  // A header of its own, rows starting with '#': data, not comments.
  d = Sniff("ticket,title\n#12,crash\n#13,hang\n");
  EXPECT_FALSE(d.comments);
  EXPECT_TRUE(d.header);
  // Every line starts with '#': colours, not comments.
  d = Sniff("#ff0000,red\n#00ff00,green\n");
  EXPECT_FALSE(d.comments);
  EXPECT_EQ(d.delimiter, ',');
}

TEST(CsvSnifferTest, RejectsWhatIsNotATable) {
  EXPECT_TRUE(absl::IsFailedPrecondition(
      SniffCsvDialect(std::string("a,b\n1,\0\n", 8), true, ',').status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(SniffCsvDialect("a,b\n\"1,2\n3,4\n", true, ',').status()));
  // The same cut-off head of a longer file may just end inside a quoted field.
  EXPECT_TRUE(SniffCsvDialect("a,b\n1,\"2\n3,4\n", false, ',').ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(
      SniffCsvDialect("hello\nfoo, bar, baz\nqux\none, two\nx,y,z,w,v\n", true, ',').status()));
}

}  // namespace
}  // namespace deltascope
