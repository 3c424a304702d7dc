// `-o report.html` and `deltascope changelog x.json -o report.html`: the format comes from the
// extension (or an `html:` prefix, or --format html), and the page for the example snapshots is
// golden (tests/vectors/example-report.html, its stylesheet and script elided;
// DELTASCOPE_UPDATE_GOLDEN=1 rewrites it, then review the diff). What the page does in a browser is
// tested in tests/browser/.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

const std::filesystem::path kSource = DELTASCOPE_SOURCE_DIR;

RunOptions InExamples() {
  RunOptions options;
  options.cwd = kSource / "examples" / "snapshots";
  return options;
}

TEST(HtmlReportTest, ExampleSnapshotsReportIsGoldenWhateverTheJobs) {
  ScratchTree t;
  const std::filesystem::path golden = kSource / "tests" / "vectors" / "example-report.html";
  std::string first;
  for (const char* jobs : {"1", "4"}) {
    const std::string out = (t / (std::string("report-") + jobs + ".html")).string();
    ProcessResult r = RunDeltascope(
        {"diff", "2024-01", "2024-06", "2025-01", "--jobs", jobs, "-o", out}, InExamples());
    ASSERT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out, "");  // -o alone: nothing on standard output
    const std::string page = ReadFile(out);
    if (first.empty()) first = page;
    EXPECT_EQ(page, first) << "--jobs " << jobs;
  }
  ASSERT_TRUE(absl::StartsWith(first, "<!DOCTYPE html>"));
  // The stylesheet and script are embedded verbatim; the golden names them instead of copying
  // them (their hashes in the policy still pin their exact bytes).
  for (const char* asset : {"report.css", "report.js"}) {
    const std::string text = ReadFile(kSource / "daemon" / "render" / "report" / asset);
    const size_t at = first.find(text);
    ASSERT_NE(at, std::string::npos) << asset << " is not embedded verbatim";
    first.replace(at, text.size(), absl::StrCat("/* daemon/render/report/", asset, " */"));
  }
  if (std::getenv("DELTASCOPE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << first;
    return;
  }
  EXPECT_EQ(first, ReadFile(golden)) << "rewrite with DELTASCOPE_UPDATE_GOLDEN=1 and review";
}

TEST(HtmlReportTest, FormatFromExtensionPrefixOrFlagAndFromASavedChangeset) {
  ScratchTree t;
  const std::string json = (t / "changes.json").string();
  const std::string html = (t / "Report.HTML").string();
  const std::string htm = (t / "report.htm").string();
  const std::string prefixed = (t / "report.out").string();
  ProcessResult r = RunDeltascope(
      {"diff", "2024-01", "2024-06", "-o", json, "-o", html, "-o", htm, "-o", "html:" + prefixed},
      InExamples());
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const std::string page = ReadFile(html);
  ASSERT_TRUE(absl::StartsWith(page, "<!DOCTYPE html>")) << page.substr(0, 200);
  EXPECT_EQ(ReadFile(htm), page);
  EXPECT_EQ(ReadFile(prefixed), page);

  ProcessResult flag =
      RunDeltascope({"diff", "2024-01", "2024-06", "--format", "html"}, InExamples());
  EXPECT_EQ(flag.exit_code, 1) << flag.err;
  EXPECT_EQ(flag.out, page);

  const std::string again = (t / "again.html").string();
  ProcessResult changelog = RunDeltascope({"changelog", json, "-o", again});
  EXPECT_EQ(changelog.exit_code, 1) << changelog.err;
  EXPECT_EQ(ReadFile(again), page) << "the saved JSON holds everything the page shows";

  ProcessResult bad = RunDeltascope({"changelog", json, "-o", "xml:" + again});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad.err, "(expected markdown, json or html)")) << bad.err;
}

}  // namespace
}  // namespace deltascope::testing
