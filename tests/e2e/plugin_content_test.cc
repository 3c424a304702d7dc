// Content to and from real plugins: `content: stream` sends multi-MiB files in 1 MiB chunks and
// must give exactly the answer `content: path` gives (json-cpp example); files a plugin writes
// for EXPAND children are compared by the host's own pipeline (test plugin).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

// A JSON document of about 3 MiB; `changed` alters one value deep inside.
std::string BigDocument(bool changed) {
  Json items = Json::array();
  for (int i = 0; i < 30000; ++i) {
    items.push_back({{"id", i},
                     {"name", absl::StrCat("item-", i, "-padding-padding-padding")},
                     {"value", i == 17000 && changed ? -1 : i * 3}});
  }
  return Json{{"items", items}}.dump(1);
}

Json DiffWith(const ScratchTree& t, const std::string& content) {
  t.Write(
      absl::StrCat("plugins-", content, "/json.plugin.yaml"),
      absl::StrCat("name: json-cpp\nversion: 0.1.0\ncommand: ", BinPath("deltascope-plugin-json"),
                   "\ncomparators:\n  - name: json\n    extensions: [.json]\n",
                   "content: ", content, "\nsandbox: off\n"));
  ProcessResult r =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format", "json",
                     "--plugin-dir", (t / absl::StrCat("plugins-", content)).string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  return Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

TEST(PluginContentTest, StreamedAndPathDeliveryAgree) {
  ScratchTree t;
  t.Write("a/big.json", BigDocument(false));
  t.Write("b/big.json", BigDocument(true));
  // One side absent: streamed, it must arrive unset (no chunks), not as an empty file.
  t.Write("b/added.json", "{\"k\": 1}");
  t.Write("a/removed.json", "[1, 2]");
  ASSERT_GT(std::filesystem::file_size(t / "a/big.json"), 2u << 20);
  Json by_path = DiffWith(t, "path");
  Json streamed = DiffWith(t, "stream");
  ASSERT_FALSE(by_path.is_discarded());
  const Json& children = by_path["root"]["children"];
  ASSERT_EQ(children.size(), 3u) << by_path.dump(1);
  EXPECT_EQ(children[0]["path"], "added.json");
  EXPECT_EQ(children[0]["action"], "add");
  EXPECT_EQ(children[1]["path"], "big.json");
  EXPECT_EQ(children[2]["action"], "remove");
  for (const Json& node : children) EXPECT_EQ(node["comparator"], "json") << by_path.dump(1);
  EXPECT_FALSE(by_path.contains("diagnostics")) << by_path.dump(1);
  EXPECT_EQ(streamed, by_path);
}

TEST(PluginContentTest, ExpandChildrenAreComparedByTheHost) {
  ScratchTree t;
  t.Write("plugins/bad.plugin.yaml",
          absl::StrCat("name: bad\nversion: 1\ncommand: ", BinPath("deltascope-test-plugin"),
                       "\nenv: {BAD_MODE: expand}\ncomparators:\n  - name: bad\n",
                       "    extensions: [.bad]\nsandbox: off\n"));
  t.Write("a/box.bad", "one\n");
  t.Write("b/box.bad", "two\n");
  ProcessResult r = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format",
                                   "json", "--plugin-dir", (t / "plugins").string()});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  Json cs = Json::parse(r.out);
  const Json& box = cs["root"]["children"][0];
  EXPECT_EQ(box["path"], "box.bad");
  EXPECT_EQ(box["comparator"], "bad");
  EXPECT_EQ(box["item_type"], "bad-container");
  ASSERT_EQ(box["children"].size(), 1u) << r.out;
  EXPECT_EQ(box["children"][0]["path"], "box.bad/inner.txt");
  EXPECT_EQ(box["children"][0]["comparator"], "text");  // the host's own comparator
  EXPECT_FALSE(cs.contains("diagnostics")) << r.out;
}

}  // namespace
}  // namespace deltascope::testing
