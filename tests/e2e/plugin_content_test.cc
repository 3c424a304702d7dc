// Content delivery to a real plugin (the json-cpp example): `content: stream` sends multi-MiB
// files in 1 MiB chunks and must give exactly the answer `content: path` gives.
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
  ASSERT_GT(std::filesystem::file_size(t / "a/big.json"), 2u << 20);
  Json by_path = DiffWith(t, "path");
  Json streamed = DiffWith(t, "stream");
  ASSERT_FALSE(by_path.is_discarded());
  const Json& node = by_path["root"]["children"][0];
  EXPECT_EQ(node["path"], "big.json");
  EXPECT_EQ(node["comparator"], "json") << by_path.dump(1);
  EXPECT_FALSE(by_path.contains("diagnostics")) << by_path.dump(1);
  EXPECT_EQ(streamed, by_path);
}

}  // namespace
}  // namespace deltascope::testing
