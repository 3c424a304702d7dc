// `markdown.collapse_threshold` through `deltascope diff --config` and `deltascope changelog
// --config`, on the markdown-collapsed-group vector (14 + 13 same-kind changes in pkg/, 10 in
// lib/). The JSON always keeps every item.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

std::filesystem::path VectorDir() {
  return std::filesystem::path(DELTASCOPE_SOURCE_DIR) / "tests" / "vectors" /
         "markdown-collapsed-group";
}

size_t Bullets(const std::string& markdown) {
  size_t n = 0;
  for (absl::string_view line : absl::StrSplit(markdown, '\n')) n += absl::StartsWith(line, "- ");
  return n;
}

std::string Changelog(const ScratchTree& tree, const std::string& config_yaml) {
  tree.Write("config.yaml", config_yaml);
  ProcessResult r = RunDeltascope({"changelog", (VectorDir() / "expected.json").string(),
                                   "--config", (tree / "config.yaml").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // 1: there are changes
  return r.out;
}

TEST(MarkdownCollapseTest, ThresholdFromTheConfigAppliesToChangelog) {
  ScratchTree tree;
  // Default (10): the 14 and 13 of pkg/ collapse, the 10 of lib/ do not.
  EXPECT_EQ(Bullets(Changelog(tree, "markdown:\n  collapse_threshold: 10\n")), 12u);
  // 0: never collapse: every one of the 37 changes has its line.
  std::string all = Changelog(tree, "markdown:\n  collapse_threshold: 0\n");
  EXPECT_EQ(Bullets(all), 37u);
  EXPECT_NE(all.find("**pkg/mod13.pyc**"), std::string::npos);
  // 9: lib/ collapses too.
  std::string tight = Changelog(tree, "markdown:\n  collapse_threshold: 9\n");
  EXPECT_EQ(Bullets(tight), 3u);
  EXPECT_NE(tight.find("- **lib/**: 10 files: Content changed (12 B → 12 B); e.g. part0.bin"),
            std::string::npos);
}

TEST(MarkdownCollapseTest, DiffTakesTheThresholdFromItsConfig) {
  ScratchTree tree;
  tree.Write("config.yaml", "markdown:\n  collapse_threshold: 0\n");
  RunOptions options;
  options.cwd = VectorDir();
  ProcessResult r = RunDeltascope(
      {"diff", "snapshot-a", "snapshot-b", "--config", (tree / "config.yaml").string()}, options);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(Bullets(r.out), 37u);
}

TEST(MarkdownCollapseTest, InvalidThresholdIsRefused) {
  ScratchTree tree;
  tree.Write("config.yaml", "markdown:\n  collapse_threshold: many\n");
  ProcessResult r = RunDeltascope({"changelog", (VectorDir() / "expected.json").string(),
                                   "--config", (tree / "config.yaml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("collapse_threshold"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace deltascope::testing
