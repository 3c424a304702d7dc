// The YAML config file: a full valid file, and one test per kind of error (each names file:line).
#include "daemon/config/config.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/plugin/limits.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using testing::ScratchTree;

constexpr char kFull[] = R"(# every key
comparators: [zip, csv, text, binary]
tables:
  - path: "data/.*\\.csv"
    key: [id]
  - path: "people\\.csv"
    key: [last, first]
markdown:
  groups:
    - heading: Data changes
      tags: [row-addition, row-removal, cell-change]
    - heading: Files
      tags: file-addition
output:
  format: json
  group: false
archives: {max_total_bytes: 1 GiB, max_ratio: 50, max_depth: 3}
moves: false
plugins:
  enable: ["*"]
  disable: [sqlite*, json-cpp]
  limits: {call_timeout: 30s, memory: 1GiB}
  require_signed: true
  trusted_keys: [keys/acme.pub]
)";

TEST(ConfigTest, PluginLimitsAreCheckedWhereTheyAreWritten) {
  EXPECT_EQ(ParseConfig("plugins:\n  limits:\n    memory: lots\n", "c.yaml").status().message(),
            "c.yaml:3: plugins.limits: memory: 'lots' is not a size like 512MiB, 1GiB or 4096");
  EXPECT_TRUE(absl::StartsWith(
      ParseConfig("plugins:\n  limits: {memry: 1G}\n", "c.yaml").status().message(),
      "c.yaml:2: plugins.limits: unknown limit 'memry' (known: startup_timeout,"));
}

// Sizes in the config and in plugin limits are read by one parser (ParseByteSize): the same
// spellings, the same 1024-based units, the same refusals.
TEST(ConfigTest, ArchiveSizesUseThePluginLimitParser) {
  for (const char* size : {"4096", "512KiB", "512 MiB", "4 GiB", "1K", "2GB", "1TiB"}) {
    absl::StatusOr<Config> c =
        ParseConfig(absl::StrCat("archives:\n  max_total_bytes: ", size, "\n"), "c.yaml");
    ASSERT_TRUE(c.ok()) << size << ": " << c.status();
    EXPECT_EQ(c->archive_max_total_bytes, *ParseByteSize(size)) << size;
    PluginLimits limits;
    ASSERT_TRUE(SetPluginLimit("memory", size, limits).ok()) << size;
    EXPECT_EQ(limits.memory_bytes, c->archive_max_total_bytes) << size;
  }
  for (const char* bad : {"lots", "1.5GiB", "-1", "1 PB", "99999999999999999999"}) {
    EXPECT_FALSE(
        ParseConfig(absl::StrCat("archives: {max_total_bytes: '", bad, "'}\n"), "c.yaml").ok())
        << bad;
    PluginLimits limits;
    EXPECT_FALSE(SetPluginLimit("memory", bad, limits).ok()) << bad;
  }
}

TEST(ConfigTest, ParsesEveryKey) {
  absl::StatusOr<Config> c = ParseConfig(kFull, "full.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->comparators.has_value());
  EXPECT_EQ(*c->comparators, (std::vector<std::string>{"zip", "csv", "text", "binary"}));
  ASSERT_EQ(c->table_keys.size(), 2u);
  EXPECT_EQ(c->table_keys[0].path_regex, "data/.*\\.csv");
  EXPECT_EQ(c->table_keys[0].columns, std::vector<std::string>{"id"});
  EXPECT_EQ(c->table_keys[1].columns, (std::vector<std::string>{"last", "first"}));
  ASSERT_EQ(c->markdown_groups.size(), 2u);
  EXPECT_EQ(c->markdown_groups[0].heading, "Data changes");
  EXPECT_EQ(c->markdown_groups[0].tags,
            (std::vector<std::string>{"row-addition", "row-removal", "cell-change"}));
  EXPECT_EQ(c->markdown_groups[1].tags, std::vector<std::string>{"file-addition"});
  EXPECT_EQ(c->output_format, "json");
  EXPECT_EQ(c->output_group, false);
  EXPECT_FALSE(c->GroupByDefault());  // output.group wins over the presence of groups
  EXPECT_EQ(c->archive_max_total_bytes, 1ull << 30);
  EXPECT_EQ(c->archive_max_ratio, 50u);
  EXPECT_EQ(c->archive_max_depth, 3);
  EXPECT_EQ(c->moves, false);
  EXPECT_EQ(c->plugins_enable, std::vector<std::string>{"*"});
  EXPECT_EQ(c->plugins_disable, (std::vector<std::string>{"sqlite*", "json-cpp"}));
  EXPECT_EQ(c->plugins_limits,
            (std::map<std::string, std::string>{{"call_timeout", "30s"}, {"memory", "1GiB"}}));
  EXPECT_EQ(c->plugins_require_signed, true);
  EXPECT_EQ(c->plugins_trusted_keys, std::vector<std::string>{"keys/acme.pub"});

  DiffOptions options;
  c->ApplyTo(options);
  EXPECT_FALSE(options.detect_moves);
  EXPECT_EQ(options.archive_limits.max_depth, 3);
  EXPECT_EQ(options.archive_limits.max_ratio, 50u);
  EXPECT_EQ(options.archive_limits.max_total_bytes, 1ull << 30);
  ASSERT_EQ(options.table_keys.size(), 2u);
  EXPECT_EQ(options.comparators.size(), 4u);
}

TEST(ConfigTest, EmptyFileSetsNothing) {
  absl::StatusOr<Config> c = ParseConfig("# nothing yet\n", "empty.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->comparators.has_value());
  EXPECT_FALSE(c->GroupByDefault());
  DiffOptions before, after;
  c->ApplyTo(after);
  EXPECT_EQ(after.detect_moves, before.detect_moves);
  EXPECT_EQ(after.archive_limits.max_depth, before.archive_limits.max_depth);
}

TEST(ConfigTest, GroupsTurnGroupingOnUnlessOutputSaysOtherwise) {
  absl::StatusOr<Config> c =
      ParseConfig("markdown:\n  groups:\n    - {heading: Rows, tags: [row-addition]}\n", "g.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->GroupByDefault());
}

// Parses `text` as c.yaml and returns the error message (empty when it parsed).
std::string ErrorOf(const std::string& text) {
  absl::StatusOr<Config> c = ParseConfig(text, "c.yaml");
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndKnownKeys) {
  const std::string e = ErrorOf("moves: true\n\ntabels:\n  - {path: x, key: [id]}\n");
  EXPECT_EQ(
      e.rfind("c.yaml:3: unknown key 'tabels' at the top level (known: comparators, tables,", 0),
      0u)
      << e;
  EXPECT_NE(ErrorOf("output:\n  format: json\n  colour: true\n")
                .find("c.yaml:3: unknown key "
                      "'colour' under 'output'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("tables:\n  - path: x\n    key: id\n    keys: id\n").find("c.yaml:4:"),
            std::string::npos);
}

TEST(ConfigTest, OutputFormatMayBeHtml) {
  absl::StatusOr<Config> c = ParseConfig("output:\n  format: HTML\n", "c.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->output_format, "html");
}

TEST(ConfigTest, WrongTypesNameFileAndLine) {
  EXPECT_EQ(ErrorOf("moves: maybe\n"), "c.yaml:1: 'moves' must be true or false");
  EXPECT_EQ(ErrorOf("plugins:\n  require_signed: yes please\n"),
            "c.yaml:2: 'require_signed' must be true or false");
  EXPECT_EQ(ErrorOf("comparators:\n  zip: 1\n"),
            "c.yaml:2: 'comparators' must be a list of strings");
  EXPECT_EQ(ErrorOf("tables: {path: x}\n"), "c.yaml:1: 'tables' must be a list");
  EXPECT_EQ(ErrorOf("archives:\n  max_depth: -1\n"),
            "c.yaml:2: 'max_depth' must be a whole number of at least 0");
  EXPECT_NE(ErrorOf("archives:\n  max_total_bytes: lots\n").find("c.yaml:2: 'max_total_bytes'"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("output:\n  format: xml\n"),
            "c.yaml:2: unknown format 'xml' (expected markdown, json or html)");
  EXPECT_EQ(ErrorOf("- just\n- a list\n"), "c.yaml:1: at the top level must be a mapping");
  EXPECT_EQ(ErrorOf("tables:\n  - path: x\n"),
            "c.yaml:2: a 'tables' entry needs 'path' (a regex) and 'key' (columns)");
}

TEST(ConfigTest, RepeatedKeyIsAnError) {
  EXPECT_EQ(ErrorOf("moves: true\nmoves: false\n"),
            "c.yaml:2: key 'moves' repeated at the top level");
}

TEST(ConfigTest, BadRegexNamesFileAndLine) {
  const std::string e = ErrorOf("tables:\n  - key: [id]\n    path: \"data/(.*\\\\.csv\"\n");
  EXPECT_EQ(e.rfind("c.yaml:3: bad regex 'data/(.*\\.csv'", 0), 0u) << e;
}

// Patterns that broke std::regex: a back-reference number past long (UB), nesting deep enough
// to overflow a recursive compiler, repetition that explodes. RE2 compiles each or refuses it in
// one line; patterns are full-match, RE2 syntax (no back-references).
TEST(ConfigTest, HostileRegexIsABadRegexOrFineNeverACrash) {
  const auto tables = [](const std::string& path) {
    return absl::StrCat("tables:\n  - key: id\n    path: '", path, "'\n");
  };
  EXPECT_EQ(ErrorOf(tables("(a)\\1")),
            "c.yaml:3: bad regex '(a)\\1': invalid escape sequence: \\1");
  EXPECT_EQ(ErrorOf(tables("((a{100}){100}){100}")).rfind("c.yaml:3: bad regex '((a{100})", 0), 0u);
  EXPECT_EQ(ErrorOf(tables("\\1111111111111111111111")), "");  // an octal escape, then digits
  EXPECT_EQ(ErrorOf(tables(std::string(100000, '(') + "a" + std::string(100000, ')'))), "");
}

TEST(ConfigTest, MalformedYamlNamesFileAndLine) {
  const std::string e = ErrorOf("moves: true\noutput:\n  format: [json\n");
  EXPECT_EQ(e.rfind("c.yaml:", 0), 0u) << e;
  EXPECT_NE(e.find("malformed YAML"), std::string::npos) << e;
  EXPECT_EQ(ErrorOf("a: b\n  c: d\n").rfind("c.yaml:2: malformed YAML", 0), 0u);
}

TEST(ConfigTest, LoadsFromDiskAndReportsAMissingFile) {
  ScratchTree tree;
  tree.Write("good.yaml", "moves: false\n");
  absl::StatusOr<Config> good = LoadConfig(tree / "good.yaml");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->moves, false);

  tree.Write("bad.yaml", "\n\nmovez: false\n");
  absl::StatusOr<Config> bad = LoadConfig(tree / "bad.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()).rfind((tree / "bad.yaml").string() + ":3: ", 0), 0u)
      << bad.status();

  absl::StatusOr<Config> missing = LoadConfig(tree / "nope.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(std::string(missing.status().message()).find((tree / "nope.yaml").string()),
            std::string::npos);
  EXPECT_NE(std::string(missing.status().message()).find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace deltascope
