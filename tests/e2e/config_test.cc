// `deltascope diff --config FILE`: the real binary with real config files; flags override them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

class ConfigE2eTest : public ::testing::Test {
 protected:
  ProcessResult Diff(const std::string& config, std::vector<std::string> extra = {}) {
    tree_.Write("deltascope.yaml", config);
    std::vector<std::string> args = {"diff", (tree_ / "a").string(), (tree_ / "b").string(),
                                     "--config", (tree_ / "deltascope.yaml").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunDeltascope(args);
  }

  // Every node of a JSON changeset, depth first.
  static void Walk(const Json& node, std::vector<Json>& out) {
    if (node.is_null()) return;
    out.push_back(node);
    if (node.contains("children")) {
      for (const Json& child : node["children"]) Walk(child, out);
    }
  }
  static Json NodeAt(const std::string& out, const std::string& path) {
    std::vector<Json> nodes;
    Walk(Json::parse(out)["root"], nodes);
    for (const Json& n : nodes) {
      if (n.value("path", "") == path) return n;
    }
    return Json();
  }

  ScratchTree tree_;
};

TEST_F(ConfigE2eTest, TableKeyMatchesRowsByKey) {
  // Rows reordered and one cell changed: by key that is one cell change, not a reshuffle.
  tree_.Write("a/data/people.csv", "id,name,city\n1,Ada,London\n2,Bo,Paris\n3,Cy,Rome\n");
  tree_.Write("b/data/people.csv", "id,name,city\n3,Cy,Rome\n1,Ada,Berlin\n2,Bo,Paris\n");
  ProcessResult keyed = Diff(R"(tables:
  - path: "data/.*\\.csv"
    key: [id]
output:
  format: json
)");
  ASSERT_EQ(keyed.exit_code, 1) << keyed.err;
  const Json node = NodeAt(keyed.out, "data/people.csv");
  ASSERT_FALSE(node.is_null()) << keyed.out;
  EXPECT_EQ(node.value("comparator", ""), "csv") << keyed.out;
  const std::string summary = node.value("summary", "");
  EXPECT_NE(summary.find("1 cell changed"), std::string::npos) << keyed.out;
  EXPECT_EQ(summary.find("row"), std::string::npos) << keyed.out;  // no rows added or removed

  // Without the key, `id` is inferred (unique on both sides): the same rows, and the summary
  // says the key was a guess.
  ProcessResult inferred = Diff("output: {format: json}\n");
  EXPECT_EQ(NodeAt(inferred.out, "data/people.csv").value("summary", ""),
            summary + "; rows matched by id (inferred)")
      << inferred.out;
}

TEST_F(ConfigE2eTest, ComparatorsSelectionAndFormatFlagOverride) {
  tree_.Write("a/t.csv", "id,v\n1,a\n");
  tree_.Write("b/t.csv", "id,v\n1,b\n");
  ProcessResult r = Diff("comparators: [text]\noutput:\n  format: json\n");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(NodeAt(r.out, "t.csv").value("comparator", ""), "text") << r.out;

  // --comparators and --format on the command line win over the file.
  ProcessResult flags = Diff("comparators: [text]\noutput:\n  format: json\n",
                             {"--comparators", "binary", "--format", "markdown"});
  ASSERT_EQ(flags.exit_code, 1) << flags.err;
  EXPECT_EQ(flags.out.rfind("# Changelog: ", 0), 0u) << flags.out;
  EXPECT_NE(flags.out.find("Content changed"), std::string::npos) << flags.out;
}

TEST_F(ConfigE2eTest, MarkdownGroupsFromTheConfig) {
  tree_.Write("a/keep.txt", "one\n");
  tree_.Write("b/keep.txt", "one\ntwo\n");
  tree_.Write("b/new.txt", "fresh\n");
  ProcessResult r = Diff(R"(markdown:
  groups:
    - heading: Brand new
      tags: [file-addition]
)");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const size_t brand_new = r.out.find("## Brand new\n\n- **new.txt**");
  const size_t other = r.out.find("## Other changes\n\n- **keep.txt**");
  EXPECT_NE(brand_new, std::string::npos) << r.out;
  EXPECT_NE(other, std::string::npos) << r.out;
  EXPECT_LT(brand_new, other);

  // output.group: false keeps the list flat; --group turns it back on.
  const std::string flat_config =
      "markdown:\n  groups: [{heading: Brand new, tags: [file-addition]}]\n"
      "output: {group: false}\n";
  EXPECT_EQ(Diff(flat_config).out.find("## "), std::string::npos);
  EXPECT_NE(Diff(flat_config, {"--group"}).out.find("## Brand new"), std::string::npos);
}

TEST_F(ConfigE2eTest, MovesCanBeTurnedOff) {
  tree_.Write("a/old.txt", "moved content\n");
  tree_.Write("b/new.txt", "moved content\n");
  EXPECT_EQ(NodeAt(Diff("output: {format: json}\n").out, "new.txt").value("action", ""), "move");
  ProcessResult off = Diff("moves: false\noutput: {format: json}\n");
  EXPECT_EQ(NodeAt(off.out, "new.txt").value("action", ""), "add") << off.out;
  EXPECT_EQ(NodeAt(off.out, "old.txt").value("action", ""), "remove") << off.out;
}

TEST_F(ConfigE2eTest, BadConfigIsOneLineWithFileAndLineAndExitTwo) {
  tree_.Write("a/x.txt", "1\n");
  tree_.Write("b/x.txt", "2\n");
  ProcessResult r = Diff("moves: true\n\ntabels:\n  - {path: x, key: [id]}\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  const std::string expected = "deltascope: " + (tree_ / "deltascope.yaml").string() +
                               ":3: unknown key 'tabels' at the top level (known: ";
  EXPECT_EQ(r.err.rfind(expected, 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  ProcessResult missing = RunDeltascope({"diff", (tree_ / "a").string(), (tree_ / "b").string(),
                                         "--config", (tree_ / "nope.yaml").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.yaml: cannot read the config file"), std::string::npos)
      << missing.err;
}

}  // namespace
}  // namespace deltascope::testing
