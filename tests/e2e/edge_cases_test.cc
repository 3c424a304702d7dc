// Edge cases of issue 18 that concern the whole run: exit statuses of fatal trouble, trees
// deeper than any path (damaged archives: the golden vector archive-zip-truncated). Every case runs
// the real binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/match.h"
#include "tests/support/changeset_json.h"
#include "tests/support/checked_run.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

// 4,000 levels (a path of 8,000 bytes, twice PATH_MAX): walked relative to open folders, so the
// change at the bottom is found, in JSON and in Markdown, with no "File name too long".
TEST(EdgeCasesTest, FourThousandLevelsDeepFindsTheDeepestChange) {
  ScratchTree t;
  const std::string leaf = MakeDeep(t, "a", "d", 4000, "old\n");
  MakeDeep(t, "b", "d", 4000, "new\n");
  ProcessResult raw;
  Json cs = DiffJson(t, 1, {}, {}, &raw);
  ExpectReported(cs, {leaf});
  EXPECT_FALSE(absl::StrContains(raw.out, "File name too long")) << raw.out.substr(0, 2000);
  ProcessResult md = RunChecked({"diff", (t / "a").string(), (t / "b").string()});
  EXPECT_EQ(md.exit_code, 1) << md.err;
  EXPECT_TRUE(absl::StrContains(md.out, "leaf.txt")) << md.out.substr(0, 2000);
  EXPECT_FALSE(absl::StrContains(md.out, "No changes detected.")) << md.out.substr(0, 2000);
}

// A snapshot root that cannot be read is fatal: one error line, exit 2, nothing on stdout.
TEST(EdgeCasesTest, FatalTroubleIsTheErrorAloneWithExitTwo) {
  ScratchTree t;
  t.Write("a/x.txt", "1\n");
  ProcessResult r =
      RunChecked({"diff", (t / "a").string(), (t / "missing").string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  ExpectErrorLine(r.err, "No such file or directory");
}

// Command-line mistakes are one clear error line and exit 2; an excessive --jobs is capped.
TEST(EdgeCasesTest, JobsOutputFormatAndChangesetAreChecked) {
  ScratchTree t;
  t.Write("a/x.txt", "1\n");
  t.Write("b/x.txt", "2\n");
  const std::string a = (t / "a").string(), b = (t / "b").string();
  for (const char* jobs : {"0", "-1"}) {
    ProcessResult r = RunChecked({"diff", a, b, "--jobs", jobs});
    EXPECT_EQ(r.exit_code, 2) << jobs;
    EXPECT_EQ(r.out, "");
    ExpectErrorLine(r.err, "--jobs must be at least 1");
  }
  ProcessResult capped = RunChecked({"diff", a, b, "--jobs", "100000"});
  EXPECT_EQ(capped.exit_code, 1) << capped.err;
  ExpectErrorLine(capped.err, "--jobs 100000 capped at ");
  EXPECT_TRUE(absl::StrContains(capped.out, "x.txt")) << capped.out;

  ProcessResult xml = RunChecked({"diff", a, b, "-o", (t / "out.xml").string().insert(0, "xml:")});
  EXPECT_EQ(xml.exit_code, 2);
  ExpectErrorLine(xml.err, "unknown output format 'xml'");
  EXPECT_FALSE(std::filesystem::exists(t / "out.xml"));

  ProcessResult json = RunChecked({"diff", a, b, "-o", (t / "cs.json").string()});
  ASSERT_EQ(json.exit_code, 1) << json.err;
  std::string text = ReadFile(t / "cs.json");
  const size_t at = text.find("\"modify\"");
  ASSERT_NE(at, std::string::npos) << text;
  t.Write("bad.json", text.replace(at, 8, "\"explode\""));
  ProcessResult changelog = RunChecked({"changelog", (t / "bad.json").string()});
  EXPECT_EQ(changelog.exit_code, 2);
  EXPECT_EQ(changelog.out, "");
  ExpectErrorLine(changelog.err, "$.root.action: unknown action 'explode'");
}

}  // namespace
}  // namespace deltascope::testing
