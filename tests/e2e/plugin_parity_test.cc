// Parity: a built-in comparator served out of process (tests/plugins/stdlib_plugin.cc) gives
// byte-identical changesets to the same comparator in-process, on every golden vector.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

TEST(PluginParityTest, OutOfProcessMatchesInProcessOnTheGoldenVectors) {
  ScratchTree t;
  // Claims exactly what the built-ins claim, positioned first so it answers instead of them.
  t.Write(
      "plugins/stdlib-oop.plugin.yaml",
      absl::StrCat("name: stdlib-oop\nversion: 1.0\ncommand: ", BinPath("deltascope-stdlib-plugin"),
                   "\ncomparators:\n  - name: text-oop\n    media_types: [text/plain]\n",
                   "    position: {before: zip}\n", "sandbox: off\n"));
  const std::filesystem::path vectors =
      std::filesystem::path(DELTASCOPE_SOURCE_DIR) / "tests/vectors";
  int compared = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(vectors, ec)) {
    if (!std::filesystem::exists(entry.path() / "snapshot-a")) continue;
    RunOptions in_vector;
    in_vector.cwd = entry.path();
    ProcessResult in_process = RunDeltascope(
        {"diff", "snapshot-a", "snapshot-b", "--format", "json", "--comparators", "text"},
        in_vector);
    ProcessResult out_of_process =
        RunDeltascope({"diff", "snapshot-a", "snapshot-b", "--format", "json", "--comparators",
                       "text-oop,text", "--plugin-dir", (t / "plugins").string()},
                      in_vector);
    EXPECT_EQ(out_of_process.exit_code, in_process.exit_code) << entry.path() << out_of_process.err;
    EXPECT_EQ(out_of_process.out, in_process.out) << entry.path();
    EXPECT_EQ(out_of_process.err.find("disabled"), std::string::npos) << out_of_process.err;
    ++compared;
  }
  // Also on a tree made here, so the test means something before any vector exists.
  t.Write("a/x.txt", "one\ntwo\n");
  t.Write("b/x.txt", "one\n2\nthree\n");
  t.Write("b/new.md", "hello\n");
  t.Write("a/ws.txt", "a  b\n");
  t.Write("b/ws.txt", "a b\n");
  ProcessResult in_process = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(),
                                            "--format", "json", "--comparators", "text"});
  ProcessResult out_of_process =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format", "json",
                     "--comparators", "text-oop,text", "--plugin-dir", (t / "plugins").string()});
  EXPECT_EQ(out_of_process.out, in_process.out);
  EXPECT_NE(in_process.out.find("\"comparator\": \"text\""), std::string::npos);
  ++compared;
  EXPECT_GE(compared, 1);
}

}  // namespace
}  // namespace deltascope::testing
