// The built-in json comparator through the real binary: peak memory near and past its size
// limit (past it: compared as text, with a note), byte-identical output whatever the thread
// count, very deep nesting, and a plugin claiming .json taking precedence over it.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

// An array of `records` objects, one per line; `edited` drops every 10007th and renames one
// value in every 5003rd.
void WriteRecords(const std::filesystem::path& path, int records, bool edited) {
  std::ofstream out(path, std::ios::binary);
  out << "[\n";
  bool first = true;
  for (int i = 0; i < records; ++i) {
    if (edited && i % 10007 == 0) continue;
    out << (first ? "" : ",\n") << "{\"id\": " << i << ", \"name\": \""
        << (edited && i % 5003 == 0 ? "NAME" : "name") << i % 1000 << "\", \"city\": \"city"
        << i % 313 << "\", \"score\": " << i * 7 % 1000 << ", \"comment\": \"a comment, with text "
        << i << "\"}";
    first = false;
  }
  out << "\n]\n";
}

class JsonComparatorTest : public ::testing::Test {
 protected:
  MeasuredRun Diff(const std::string& which) {
    return RunDeltascopeMeasured({"diff", (t_ / which / "a").string(), (t_ / which / "b").string(),
                                  "--format", "markdown", "--jobs", "2"},
                                 t_ / (which + ".md"));
  }
  long SizeKb(const std::string& which) {
    return static_cast<long>((std::filesystem::file_size(t_ / which / "a/d.json") +
                              std::filesystem::file_size(t_ / which / "b/d.json")) /
                             1024);
  }
  void Make(const std::string& which, int records) {
    t_.Mkdir(which + "/a");
    t_.Mkdir(which + "/b");
    WriteRecords(t_ / which / "a/d.json", records, false);
    WriteRecords(t_ / which / "b/d.json", records, true);
  }

  ScratchTree t_;
};

TEST_F(JsonComparatorTest, PeakMemoryNearAndPastTheSizeLimit) {
  Make("small", 1000);
  Make("near", 250'000);  // ~26 MB a side: compared by structure
  Make("past", 350'000);  // ~37 MB a side, past the 32 MiB limit: compared as text
  ASSERT_LT(std::filesystem::file_size(t_ / "near/a/d.json"), 32u << 20);
  ASSERT_GT(std::filesystem::file_size(t_ / "past/b/d.json"), 32u << 20);
  const MeasuredRun small = Diff("small");
  const MeasuredRun near = Diff("near");
  const MeasuredRun past = Diff("past");
  ASSERT_EQ(small.exit_code, 1) << small.out;
  EXPECT_NE(near.out.find("d.json**: 25 records removed; 49 values changed; records matched by id"),
            std::string::npos)
      << near.out;
  EXPECT_NE(past.out.find("d.json**: 69 lines added, 104 removed (compared as text: larger "
                          "than 32.0 MB)"),
            std::string::npos)
      << past.out;
#ifdef DELTASCOPE_SANITIZED
  GTEST_SKIP() << "peak RSS is not measurable under sanitizers";
#endif
  // The trees cost a few times the text (24 bytes a value, plus the keys and strings).
  EXPECT_LT(near.max_rss_kb - small.max_rss_kb, 5 * SizeKb("near"))
      << "peak RSS " << near.max_rss_kb << " KB vs baseline " << small.max_rss_kb << " KB";
  // As text: line hashes only.
  EXPECT_LT(past.max_rss_kb - small.max_rss_kb, 64L << 10)
      << "peak RSS " << past.max_rss_kb << " KB vs baseline " << small.max_rss_kb << " KB";
}

TEST_F(JsonComparatorTest, OutputIsTheSameWhateverTheThreadCount) {
  for (int i = 0; i < 12; ++i) {
    std::string left = "[", right = "[";
    for (int r = 0; r < 50; ++r) {
      absl::StrAppend(&left, r ? "," : "", "{\"code\": \"c", r, "\", \"v\": ", r * i, "}");
      if (r % 7 != i % 7) {
        absl::StrAppend(&right, right.size() > 1 ? "," : "", "{\"v\": ", r * i + (r % 5 == 0),
                        ", \"code\": \"c", r, "\"}");
      }
    }
    t_.Write(absl::StrCat("a/f", i, ".json"), left + "]");
    t_.Write(absl::StrCat("b/f", i, ".json"), right + ",{\"code\": \"new\"}]");
    t_.Write(absl::StrCat("a/l", i, ".jsonl"), absl::StrCat("{\"id\": 1, \"n\": ", i, "}\n"));
    t_.Write(absl::StrCat("b/l", i, ".jsonl"), absl::StrCat("{\"n\": ", i + 1, ", \"id\": 1}\n"));
  }
  std::vector<std::string> outputs;
  for (const char* jobs : {"1", "4"}) {
    ProcessResult r = RunDeltascope(
        {"diff", (t_ / "a").string(), (t_ / "b").string(), "--format", "json", "--jobs", jobs});
    ASSERT_EQ(r.exit_code, 1) << r.err;
    outputs.push_back(r.out);
  }
  EXPECT_EQ(outputs[0], outputs[1]);
  EXPECT_NE(outputs[0].find("records matched by code"), std::string::npos) << outputs[0];
}

TEST_F(JsonComparatorTest, AMillionLevelsDeepIsOneChangedValue) {
  constexpr int kDepth = 1'000'000;
  t_.Write("a/deep.json", std::string(kDepth, '[') + "1" + std::string(kDepth, ']'));
  t_.Write("b/deep.json", std::string(kDepth, '[') + "2" + std::string(kDepth, ']'));
  t_.Write("b/unclosed.json", std::string(kDepth, '{'));
  ProcessResult r = RunDeltascope({"diff", (t_ / "a").string(), (t_ / "b").string()});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("deep.json**: 1 value changed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unclosed.json**: New file (1 line) (compared as text: not valid JSON)"),
            std::string::npos)
      << r.out;
}

// Plugins land before the built-in json comparator: a plugin that claims .json answers, and the
// built-in takes what the plugin fails on (not the text comparator).
TEST_F(JsonComparatorTest, APluginClaimingJsonComesFirst) {
  t_.Write("a/x.json", R"({"a": 1, "b": [1, 2]})");
  t_.Write("b/x.json", R"({"a": 2, "b": [1, 2]})");
  const auto diff_with = [&](const std::string& mode, const std::string& position) {
    const std::string dir = (t_ / ("plugins-" + mode + position)).string();
    t_.Write(
        "plugins-" + mode + position + "/p.plugin.yaml",
        absl::StrCat("name: json-plugin\nversion: 1\ncommand: ", BinPath("deltascope-test-plugin"),
                     "\nenv: {BAD_MODE: ", mode, "}\ncomparators:\n  - name: bad\n",
                     "    extensions: [.json]\n", position, "sandbox: off\n"));
    return RunDeltascope({"diff", (t_ / "a").string(), (t_ / "b").string(), "--plugin-dir", dir});
  };
  ProcessResult ok = diff_with("ok", "");
  EXPECT_NE(ok.out.find("x.json**: plugin ok"), std::string::npos) << ok.out << ok.err;
  ProcessResult failing = diff_with("error", "");
  EXPECT_NE(failing.out.find("x.json**: 1 value changed"), std::string::npos) << failing.out;
  EXPECT_NE(failing.out.find("plugin-error"), std::string::npos) << failing.out;
  // Just before text is after the built-in json: the plugin is never asked.
  ProcessResult late = diff_with("error", "    position: {before: text}\n");
  EXPECT_NE(late.out.find("x.json**: 1 value changed"), std::string::npos) << late.out;
  EXPECT_EQ(late.out.find("Diagnostics"), std::string::npos) << late.out;
}

}  // namespace
}  // namespace deltascope::testing
