// Edge cases of issue 18 that concern the whole run: exit statuses of fatal trouble, trees
// deeper than any path (damaged archives: the golden vector archive-zip-truncated). Every case runs
// the real binary.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace deltascope::testing
