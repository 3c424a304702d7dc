// The misbehaviour matrix: a real plugin process that crashes, hangs, floods, lies about its
// protocol or sends hostile responses. For each: the diff completes with the right exit status,
// the item is still reported (by the fallback) with the right diagnostic, and no process of the
// plugin is left behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

struct Case {
  std::string mode;
  int exit_code;
  std::string code;     // expected diagnostic code ("" = none)
  std::string message;  // expected in the diagnostic's message
};

// A short deadline only where the case is about it firing (a hang, a plugin that never listens);
// elsewhere generous ones, so that a slow machine cannot turn a crash or an answer into a timeout.
std::string LimitsFor(const std::string& mode) {
  const bool hangs =
      mode == "hang" || mode == "slow" || mode == "ignore-sigterm" || mode == "grandchild";
  return absl::StrCat("limits: {startup_timeout: ", mode == "no-socket" ? "2s" : "60s",
                      ", call_timeout: ", hangs ? "1s" : "60s", ", max_instances: 1}\n");
}

std::string WriteManifest(const ScratchTree& t, const std::string& mode, const std::string& marker,
                          const std::string& extra = "", const std::string& sandbox = "off") {
  std::string file = (t / absl::StrCat("plugins/bad-", mode, ".plugin.yaml")).string();
  t.Write(absl::StrCat("plugins/bad-", mode, ".plugin.yaml"),
          absl::StrCat("name: bad-", mode,
                       "\nversion: 1.0\nprotocol: 1\ncommand: ", BinPath("deltascope-test-plugin"),
                       "\nenv: {BAD_MODE: ", mode, ", BAD_MARKER: ", marker,
                       "}\ncomparators:\n  - name: bad\n    extensions: [.bad]\n", LimitsFor(mode),
                       "sandbox: ", sandbox, "\n", extra));
  return file;
}

class MisbehaviourTest : public ::testing::TestWithParam<Case> {};

TEST_P(MisbehaviourTest, DiffCompletesItemIsReportedNothingLingers) {
  const Case& c = GetParam();
  ScratchTree t;
  const std::string marker = absl::StrCat("marker-", c.mode, "-", ::getpid());
  WriteManifest(t, c.mode, marker);
  t.Write("a/data.bad", "one\n");
  t.Write("b/data.bad", "two\n");
  t.Write("a/other.txt", "x\n");
  t.Write("b/other.txt", "y\n");
  ProcessResult r =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format", "json",
                     "--plugin-dir", (t / "plugins").string(), "--jobs", "1"});
  ASSERT_EQ(r.exit_code, c.exit_code) << r.err;
  Json cs = Json::parse(r.out);
  // The changed item is reported whatever the plugin did.
  const Json* item = nullptr;
  for (const Json& child : cs["root"]["children"]) {
    if (child["path"] == "data.bad") item = &child;
  }
  ASSERT_NE(item, nullptr) << r.out;
  if (c.code.empty()) {
    EXPECT_EQ((*item)["comparator"], "bad");
    EXPECT_EQ((*item)["summary"], "plugin ok");
    EXPECT_FALSE(cs.contains("diagnostics")) << cs.dump();
  } else {
    EXPECT_NE((*item)["comparator"], "bad");  // a built-in fallback described it
    ASSERT_TRUE(cs.contains("diagnostics")) << r.out;
    const Json& d = cs["diagnostics"][0];
    EXPECT_EQ(d["code"], c.code) << d.dump();
    EXPECT_EQ(d["path"], "data.bad");
    EXPECT_NE(d["message"].get<std::string>().find(c.message), std::string::npos) << d.dump();
  }
  // The other item is unaffected.
  EXPECT_NE(r.out.find("\"other.txt\""), std::string::npos);
  // Nothing the plugin started survives the run (grandchildren included).
  WaitUntil([&] { return ProcessesWithEnv(marker).empty(); });
  EXPECT_EQ(ProcessesWithEnv(marker), std::vector<int>{}) << c.mode;
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, MisbehaviourTest,
    ::testing::Values(Case{"ok", 1, "", ""}, Case{"segv", 1, "plugin-crash", "SIGSEGV"},
                      Case{"abort", 1, "plugin-crash", "SIGABRT"},
                      Case{"exit3", 1, "plugin-crash", "exited with status 3"},
                      Case{"hang", 1, "plugin-timeout", "timed out after 1 s on data.bad"},
                      Case{"slow", 1, "plugin-timeout", "timed out after 1 s"},
                      Case{"ignore-sigterm", 1, "plugin-timeout", "timed out"},
                      // The grandchild keeps the connection open, so the call runs to its
                      // deadline; the escaped grandchild is still found and killed.
                      Case{"grandchild", 1, "plugin-timeout", "timed out"},
                      Case{"garbage-stdout", 1, "", ""}, Case{"flood-stderr", 1, "", ""},
                      Case{"wrong-protocol", 1, "plugin-unavailable",
                           "incompatible protocol version 0"},
                      Case{"no-socket", 1, "plugin-unavailable", "start-up timeout"},
                      Case{"malformed", 1, "plugin-invalid-response", "invalid action 'explode'"},
                      Case{"huge", 1, "plugin-invalid-response", "invalid response"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = info.param.mode;
      for (char& ch : name) {
        if (ch == '-') ch = '_';
      }
      return name;
    });

// bubblewrap relays a signal that killed the plugin as exit status 128 + N: still reported as
// the signal.
TEST(PluginCrashTest, SandboxedCrashIsReportedAsItsSignal) {
  ScratchTree t;
  const std::string marker = absl::StrCat("marker-sandboxed-segv-", ::getpid());
  WriteManifest(t, "segv", marker, "", "standard");
  t.Write("a/data.bad", "one\n");
  t.Write("b/data.bad", "two\n");
  ProcessResult r = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format",
                                   "json", "--plugin-dir", (t / "plugins").string()});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  Json cs = Json::parse(r.out);
  ASSERT_TRUE(cs.contains("diagnostics")) << r.out;
  EXPECT_EQ(cs["diagnostics"][0]["code"], "plugin-crash");
  EXPECT_NE(cs["diagnostics"][0]["message"].get<std::string>().find(
                "killed by signal SIGSEGV (exit status 139 from the sandbox)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(ProcessesWithEnv(marker), std::vector<int>{});
}

TEST(PluginQuarantineTest, CrashBudgetQuarantinesThePlugin) {
  ScratchTree t;
  const std::string marker = absl::StrCat("marker-quarantine-", ::getpid());
  WriteManifest(t, "segv", marker);
  for (int i = 0; i < 5; ++i) {
    t.Write(absl::StrCat("a/f", i, ".bad"), "one\n");
    t.Write(absl::StrCat("b/f", i, ".bad"), "two\n");
  }
  ProcessResult r =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format", "json",
                     "--plugin-dir", (t / "plugins").string(), "--jobs", "1"});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  Json cs = Json::parse(r.out);
  int crashes = 0, quarantined = 0;
  for (const Json& d : cs["diagnostics"]) {
    crashes += d["code"] == "plugin-crash";
    quarantined += d["code"] == "plugin-quarantined";
  }
  EXPECT_EQ(crashes, 3);
  EXPECT_EQ(quarantined, 2);
  EXPECT_EQ(cs["root"]["children"].size(), 5u);  // every item still reported
  EXPECT_EQ(ProcessesWithEnv(marker), std::vector<int>{});
}

TEST(PluginCheckTest, NamesTheProblemOfEachBrokenPlugin) {
  ScratchTree t;
  const std::string marker = absl::StrCat("marker-check-", ::getpid());
  WriteManifest(t, "ok", marker);
  WriteManifest(t, "wrong-protocol", marker);
  WriteManifest(t, "no-socket", marker);
  t.Write("plugins/missing.plugin.yaml",
          "name: missing\nversion: 1\ncommand: /nonexistent/plugin\ncomparators:\n  - name: m\n");
  t.Write("plugins/broken.plugin.yaml", "name: broken\nversion: 1\ncommand: x\ncomparators: 7\n");
  ProcessResult r = RunDeltascope({"plugins", "check", "--plugin-dir", (t / "plugins").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("ok   bad-ok 1.0: comparator bad"), std::string::npos) << r.out;
  for (const char* expected :
       {"FAIL bad-wrong-protocol: plugin bad-wrong-protocol is disabled: plugin "
        "bad-wrong-protocol: "
        "incompatible protocol version 0 (this host speaks 1)",
        "FAIL bad-no-socket: plugin bad-no-socket is disabled: plugin bad-no-socket: start-up "
        "timeout: no handshake within 2000 ms",
        "FAIL missing: plugin missing is disabled: plugin missing: executable /nonexistent/plugin "
        "is missing",
        "broken.plugin.yaml: invalid manifest: ",
        "broken.plugin.yaml:4: 'comparators' must be a non-empty list"}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << "\n" << r.out;
  }
  ProcessResult one =
      RunDeltascope({"plugins", "check", "bad-ok", "--plugin-dir", (t / "plugins").string()});
  EXPECT_EQ(one.exit_code, 0) << one.out;
  ProcessResult list = RunDeltascope({"plugins", "list", "--plugin-dir", (t / "plugins").string()});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("bad-no-socket 1.0 [available]"), std::string::npos) << list.out;
  // Three plugins serve a comparator named "bad": the first registered keeps it.
  EXPECT_NE(list.out.find("bad-ok 1.0 [disabled] - comparator name 'bad' is already taken"),
            std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("[disabled] - invalid manifest"), std::string::npos) << list.out;
  EXPECT_EQ(ProcessesWithEnv(marker), std::vector<int>{});
}

}  // namespace
}  // namespace deltascope::testing
