// Content to and from real plugins: `content: stream` sends multi-MiB files in 1 MiB chunks and
// must give exactly the answer `content: path` gives (ini-cpp example); files a plugin writes
// for EXPAND children are compared by the host's own pipeline (test plugin).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

// An INI file of about 3 MiB; `changed` alters one value deep inside.
std::string BigIni(bool changed) {
  std::string ini;
  for (int i = 0; i < 40000; ++i) {
    absl::StrAppend(&ini, "[item-", i, "]\nname = item-", i,
                    "-padding-padding-padding\nvalue = ", i == 17000 && changed ? -1 : i * 3,
                    "\n\n");
  }
  return ini;
}

Json DiffWith(const ScratchTree& t, const std::string& content) {
  t.Write(absl::StrCat("plugins-", content, "/ini.plugin.yaml"),
          absl::StrCat("name: ini-cpp\nversion: 0.1.0\ncommand: ", BinPath("deltascope-plugin-ini"),
                       "\ncomparators:\n  - name: ini\n    extensions: [.ini]\n",
                       "content: ", content, "\nsandbox: off\n"));
  ProcessResult r =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format", "json",
                     "--plugin-dir", (t / absl::StrCat("plugins-", content)).string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  return Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

TEST(PluginContentTest, StreamedAndPathDeliveryAgree) {
  ScratchTree t;
  t.Write("a/big.ini", BigIni(false));
  t.Write("b/big.ini", BigIni(true));
  // One side absent: streamed, it must arrive unset (no chunks), not as an empty file.
  t.Write("b/added.ini", "k = 1\n");
  t.Write("a/removed.ini", "[s]\nk = 2\n");
  ASSERT_GT(std::filesystem::file_size(t / "a/big.ini"), 2u << 20);
  Json by_path = DiffWith(t, "path");
  Json streamed = DiffWith(t, "stream");
  ASSERT_FALSE(by_path.is_discarded());
  const Json& children = by_path["root"]["children"];
  ASSERT_EQ(children.size(), 3u) << by_path.dump(1);
  EXPECT_EQ(children[0]["path"], "added.ini");
  EXPECT_EQ(children[0]["action"], "add");
  EXPECT_EQ(children[1]["path"], "big.ini");
  EXPECT_EQ(children[1]["summary"], "1 value changed");
  EXPECT_EQ(children[2]["action"], "remove");
  for (const Json& node : children) EXPECT_EQ(node["comparator"], "ini") << by_path.dump(1);
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
