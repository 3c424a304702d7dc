// ComparePipe through the CLI, real plugin processes: byte-identical to one Compare per item,
// and a hang and a crash in the middle of a pipeline of many items lose nothing (each item is
// described, by the plugin or by the built-in fallback with the plugin's diagnostic).
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/support/changeset_json.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

TEST(PluginPipeTest, PipelinedOutputIsByteIdenticalToOneCallPerItem) {
  ScratchTree t;
  for (const char* kind : {"pipe", "unary"}) {
    t.Write(absl::StrCat("plugins-", kind, "/stdlib-oop.plugin.yaml"),
            absl::StrCat(
                "name: stdlib-oop\nversion: 1.0\ncommand: ", BinPath("deltascope-stdlib-plugin"),
                std::string(kind) == "unary" ? "\nenv: {STDLIB_PLUGIN_NO_PIPE: 1}" : "",
                "\ncomparators:\n  - name: text-oop\n    media_types: [text/plain]\n",
                "    position: {before: zip}\nsandbox: off\n"));
  }
  for (int i = 0; i < 300; ++i) {
    const std::string name = absl::StrCat("d", i % 7, "/f", i, ".txt");
    if (i % 11 != 0) t.Write("a/" + name, absl::StrCat("line one\nline ", i, "\nend\n"));
    if (i % 13 != 0) {
      t.Write("b/" + name, absl::StrCat("line one\nline ", i % 3 ? i : i + 1, "\nend\n"));
    }
  }
  const auto run = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {
        "diff", (t / "a").string(), (t / "b").string(), "--format", "json", "--jobs", "8"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunDeltascope(args);
  };
  ProcessResult piped =
      run({"--comparators", "text-oop,text", "--plugin-dir", (t / "plugins-pipe").string()});
  ProcessResult unary =
      run({"--comparators", "text-oop,text", "--plugin-dir", (t / "plugins-unary").string()});
  ProcessResult in_process = run({"--comparators", "text"});
  ASSERT_EQ(piped.exit_code, 1) << piped.err;
  EXPECT_EQ(piped.out, unary.out);
  EXPECT_EQ(piped.out, in_process.out);
  EXPECT_EQ(Json::parse(piped.out)["diagnostics"].size(), 0u) << piped.out;
}

// One run with an item that hangs among 200, one with an item that crashes the plugin: only the
// culprit falls back. The calls in flight with it are made again (after a crash, alone, so the
// culprit crashes a second process by itself and is the one reported).
TEST(PluginPipeTest, AHangOrACrashInAPipelineLosesNoItem) {
  for (const std::string fault : {"hang", "crash"}) {
    ScratchTree t;
    t.Write("plugins/bad.plugin.yaml",
            absl::StrCat("name: bad\nversion: 1\ncommand: ", BinPath("deltascope-test-plugin"),
                         "\nenv: {BAD_MODE: by-name}\ncomparators:\n  - name: bad\n",
                         "    extensions: [.bad]\nlimits: {call_timeout: 3s, max_instances: 1}\n",
                         "sandbox: off\n"));
    std::set<std::string> names = {fault + ".bad"};
    for (int i = 0; i < 200; ++i) names.insert(absl::StrCat("f", i, ".bad"));
    for (const std::string& name : names) {
      t.Write("a/" + name, "one\n");
      t.Write("b/" + name, "two\n");
    }
    ProcessResult r =
        RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format", "json", "--jobs",
                       "8", "--plugin-dir", (t / "plugins").string()});
    ASSERT_EQ(r.exit_code, 1) << r.err;
    Json cs = Json::parse(r.out);
    std::map<std::string, Json> nodes = NodesByPath(cs);
    std::map<std::string, std::string> codes;
    for (const Json& d : cs["diagnostics"]) codes[d["path"]] = d["code"];
    const std::string culprit = fault + ".bad";
    for (const std::string& name : names) {
      ASSERT_EQ(nodes.count(name), 1u) << name << "\n" << r.out;  // every item described
      // By the plugin, except the culprit: by the built-in fallback.
      EXPECT_EQ(nodes[name]["comparator"] == "bad", name != culprit) << name;
    }
    if (fault == "hang") {
      EXPECT_EQ(codes, (std::map<std::string, std::string>{{"hang.bad", "plugin-timeout"}}))
          << r.out;
    } else {
      // The crash it caused among the others (reported once, beside the oldest call then in
      // flight, which was answered on its second try) and the one it caused alone.
      EXPECT_EQ(codes["crash.bad"], "plugin-crash");
      EXPECT_LE(cs["diagnostics"].size(), 2u) << r.out;
      for (const auto& [path, code] : codes) EXPECT_EQ(code, "plugin-crash") << path;
    }
  }
}

// The Python SDK's pipe through the real host: the same changeset as its Compare path. Uses the
// project's .venv (grpcio, protobuf) and this checkout's SDK sources.
TEST(PluginPipeTest, PythonSdkPipeMatchesItsComparePath) {
  const std::string source = DELTASCOPE_SOURCE_DIR;
  const std::string python = source + "/.venv/bin/python";
  if (!std::filesystem::exists(python)) GTEST_SKIP() << "no " << python;
  ScratchTree t;
  for (const char* kind : {"pipe", "unary"}) {
    t.Write(absl::StrCat("plugins-", kind, "/words.plugin.yaml"),
            absl::StrCat("name: words-test\nversion: 9.9\ncommand: ", python, "\nargs: [", source,
                         "/plugin-sdk-python/tests/sample_plugin.py]\nenv: {PYTHONPATH: ", source,
                         "/plugin-sdk-python/src",
                         std::string(kind) == "unary" ? ", SAMPLE_NO_PIPE: '1'" : "",
                         "}\ncomparators:\n  - name: words\n    extensions: [.words]\n",
                         "limits: {max_instances: 1}\nsandbox: off\n"));
  }
  for (int i = 0; i < 120; ++i) {
    t.Write(absl::StrCat("a/w", i, ".words"), "alpha beta\n");
    t.Write(absl::StrCat("b/w", i, ".words"), absl::StrCat("alpha beta gamma", i, "\n"));
  }
  std::string out[2];
  int k = 0;
  for (const char* kind : {"pipe", "unary"}) {
    ProcessResult r =
        RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format", "json", "--jobs",
                       "8", "--plugin-dir", (t / absl::StrCat("plugins-", kind)).string()});
    ASSERT_EQ(r.exit_code, 1) << r.err;
    out[k++] = r.out;
  }
  EXPECT_EQ(out[0], out[1]);
  EXPECT_EQ(Json::parse(out[0])["diagnostics"].size(), 0u) << out[0];
  EXPECT_EQ(NodesByPath(Json::parse(out[0]))["w7.words"]["comparator"], "words") << out[0];
}

}  // namespace
}  // namespace deltascope::testing
