// Attached plugins (manifest `endpoint:`): a real plugin process started by the test in listen
// mode, outside the host's control; the real CLI and the real daemon connect to it. The plugin
// comes and goes; every change is still reported (by a built-in fallback while it is away).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

// deltascope-test-plugin serving on a Unix socket in listen mode, as a sidecar would.
class ListeningPlugin {
 public:
  ListeningPlugin(const std::filesystem::path& socket, const std::string& mode) {
    ::unlink(socket.c_str());
    RunOptions options;
    options.extra_env = {"BAD_MODE=" + mode, "DELTASCOPE_PLUGIN_LISTEN=unix://" + socket.string()};
    process_ = std::make_unique<BackgroundProcess>(std::vector{BinPath("deltascope-test-plugin")},
                                                   options);
    WaitUntil([&] { return std::filesystem::exists(socket); });
  }
  bool Alive() const { return ::kill(process_->pid(), 0) == 0; }
  // Gone without a goodbye, like a container that is killed.
  void Kill() {
    process_->Signal(SIGKILL);
    process_->Wait(30);
  }
  int pid() const { return process_->pid(); }

 private:
  std::unique_ptr<BackgroundProcess> process_;
};

std::string SocketOf(const ScratchTree& t) { return (t / "sock/bad.sock").string(); }

void WriteAttachedManifest(const ScratchTree& t, const std::string& limits = "") {
  t.Mkdir("sock");
  t.Write(
      "plugins/bad.plugin.yaml",
      absl::StrCat("name: bad-attached\nversion: 1.0\nendpoint: unix://", SocketOf(t),
                   "\ncomparators:\n  - name: bad\n    extensions: [.bad]\n",
                   limits.empty() ? "limits: {startup_timeout: 5s, call_timeout: 5s}\n" : limits));
}

void WritePair(const ScratchTree& t, int files) {
  for (int i = 0; i < files; ++i) {
    t.Write(absl::StrCat("a/f", i, ".bad"), "one\n");
    t.Write(absl::StrCat("b/f", i, ".bad"), "two\n");
  }
  t.Write("a/other.txt", "x\n");
  t.Write("b/other.txt", "y\n");
}

struct Outcome {
  int plugin = 0;    // items the plugin described
  int fallback = 0;  // .bad items a built-in described
  std::vector<std::string> codes;
  std::string messages;
};

// Every .bad item must be reported, by the plugin or a fallback.
Outcome Summarise(const ProcessResult& r, int files) {
  Outcome o;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  Json cs = Json::parse(r.out, nullptr, false);
  EXPECT_FALSE(cs.is_discarded()) << r.out << r.err;
  if (cs.is_discarded()) return o;
  for (const Json& child : cs["root"]["children"]) {
    std::string path = child["path"];
    if (path.size() < 4 || path.substr(path.size() - 4) != ".bad") continue;
    EXPECT_EQ(child["action"], "modify") << child.dump();
    if (child["comparator"] == "bad" && child.value("summary", "") == "plugin ok") {
      ++o.plugin;
    } else {
      ++o.fallback;
    }
  }
  EXPECT_EQ(o.plugin + o.fallback, files) << r.out;
  for (const Json& d : cs.value("diagnostics", Json::array())) {
    o.codes.push_back(d["code"]);
    o.messages += d["message"].get<std::string>() + "\n";
  }
  return o;
}

std::vector<std::string> DiffArgs(const ScratchTree& t) {
  return {"diff", (t / "a").string(), (t / "b").string(), "--format", "json"};
}

TEST(AttachedPluginTest, CliDiffGoesThroughTheRunningPluginAndFallsBackWhenItIsGone) {
  ScratchTree t;
  WriteAttachedManifest(t);
  WritePair(t, 3);
  std::vector<std::string> args = DiffArgs(t);
  args.insert(args.end(), {"--plugin-dir", (t / "plugins").string()});
  {
    ListeningPlugin plugin(SocketOf(t), "ok");
    Outcome o = Summarise(RunDeltascope(args), 3);
    EXPECT_EQ(o.plugin, 3);
    EXPECT_TRUE(o.codes.empty()) << o.messages;
    // The host neither started nor stopped it.
    EXPECT_TRUE(plugin.Alive());
  }
  // Nobody listens any more: every item falls back, with one clear diagnostic each.
  Outcome o = Summarise(RunDeltascope(args), 3);
  EXPECT_EQ(o.fallback, 3);
  ASSERT_FALSE(o.codes.empty());
  for (const std::string& code : o.codes) EXPECT_EQ(code, "plugin-unavailable");
  EXPECT_NE(o.messages.find(SocketOf(t)), std::string::npos) << o.messages;
}

TEST(AttachedPluginTest, DaemonFallsBackWhileThePluginIsAwayAndUsesItAgainWhenItReturns) {
  ScratchTree t;
  WriteAttachedManifest(t);
  WritePair(t, 2);
  const std::string daemon_socket = (t / "d.sock").string();
  BackgroundProcess daemon({BinPath("deltascoped"), "--listen", "unix://" + daemon_socket,
                            "--plugin-dir", (t / "plugins").string()});
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(daemon_socket); }));
  std::vector<std::string> args = DiffArgs(t);
  args.insert(args.end(), {"--daemon", "unix://" + daemon_socket});

  // Not there yet.
  Outcome before = Summarise(RunDeltascope(args), 2);
  EXPECT_EQ(before.fallback, 2);
  ASSERT_FALSE(before.codes.empty());
  EXPECT_EQ(before.codes[0], "plugin-unavailable");

  // Runs until a diff goes through the plugin (the host waits a moment between attempts).
  auto diff_until_used = [&] {
    Outcome o;
    for (int i = 0; i < 100 && o.plugin == 0; ++i) {
      if (i > 0) ::usleep(100000);
      o = Summarise(RunDeltascope(args), 2);
    }
    return o;
  };
  for (int round = 0; round < 2; ++round) {
    ListeningPlugin plugin(SocketOf(t), "ok");
    Outcome used = diff_until_used();
    EXPECT_EQ(used.plugin, 2) << "round " << round;
    // Warm: the next diff uses the same connection.
    Outcome again = Summarise(RunDeltascope(args), 2);
    EXPECT_EQ(again.plugin, 2);
    EXPECT_TRUE(again.codes.empty()) << again.messages;
    plugin.Kill();
    // Gone between diffs: the next diff falls back, nothing is lost.
    Outcome gone = Summarise(RunDeltascope(args), 2);
    EXPECT_EQ(gone.fallback, 2) << "round " << round;
    ASSERT_FALSE(gone.codes.empty());
    EXPECT_EQ(gone.codes[0], "plugin-unavailable") << gone.messages;
  }
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(60), 0) << daemon.Stderr();
}

TEST(AttachedPluginTest, PluginThatDiesMidRunLosesNoChange) {
  ScratchTree t;
  WriteAttachedManifest(t);
  WritePair(t, 4);
  // segv: the plugin process dies inside its first Compare call.
  ListeningPlugin plugin(SocketOf(t), "segv");
  std::vector<std::string> args = DiffArgs(t);
  args.insert(args.end(), {"--plugin-dir", (t / "plugins").string(), "--jobs", "1"});
  Outcome o = Summarise(RunDeltascope(args), 4);
  EXPECT_EQ(o.fallback, 4);
  ASSERT_FALSE(o.codes.empty());
  for (const std::string& code : o.codes) EXPECT_EQ(code, "plugin-unavailable");
  EXPECT_NE(o.messages.find("went away"), std::string::npos) << o.messages;
}

TEST(AttachedPluginTest, HungPluginHitsTheDeadlineAndIsLeftRunning) {
  ScratchTree t;
  WriteAttachedManifest(t, "limits: {startup_timeout: 5s, call_timeout: 1s, max_instances: 1}\n");
  WritePair(t, 1);
  ListeningPlugin plugin(SocketOf(t), "hang");
  std::vector<std::string> args = DiffArgs(t);
  args.insert(args.end(), {"--plugin-dir", (t / "plugins").string()});
  Outcome o = Summarise(RunDeltascope(args), 1);
  EXPECT_EQ(o.fallback, 1);
  ASSERT_EQ(o.codes.size(), 1u) << o.messages;
  EXPECT_EQ(o.codes[0], "plugin-timeout");
  EXPECT_NE(o.messages.find("timed out after 1 s on f0.bad"), std::string::npos) << o.messages;
  // The call was cancelled; the process is not ours to kill.
  EXPECT_TRUE(plugin.Alive());
}

TEST(AttachedPluginTest, PluginsListAndCheckShowTheEndpoint) {
  ScratchTree t;
  WriteAttachedManifest(t);
  ProcessResult down =
      RunDeltascope({"plugins", "check", "--plugin-dir", (t / "plugins").string()});
  EXPECT_NE(down.exit_code, 0);
  EXPECT_NE(down.out.find("FAIL bad-attached"), std::string::npos) << down.out;
  EXPECT_NE(down.out.find(SocketOf(t)), std::string::npos) << down.out;

  ListeningPlugin plugin(SocketOf(t), "ok");
  ProcessResult list = RunDeltascope({"plugins", "list", "--plugin-dir", (t / "plugins").string()});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("attached: unix://" + SocketOf(t)), std::string::npos) << list.out;
  ProcessResult check =
      RunDeltascope({"plugins", "check", "--plugin-dir", (t / "plugins").string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("ok   bad-attached 1.0: comparator bad: connect"), std::string::npos)
      << check.out;
}

TEST(AttachedPluginTest, BadManifestsAreOneLineNamingTheFile) {
  ScratchTree t;
  const std::string head = "name: x\nversion: 1\n";
  const std::string tail = "comparators:\n  - name: bad\n";
  struct Bad {
    std::string file, body, reason;
  };
  std::vector<Bad> cases = {
      {"both.plugin.yaml", head + "command: /bin/true\nendpoint: unix:///tmp/x.sock\n" + tail,
       "give either 'command'"},
      {"neither.plugin.yaml", head + tail,
       "missing required key 'command' (a plugin deltascope starts) or 'endpoint'"},
      {"scheme.plugin.yaml", head + "endpoint: http://localhost:80\n" + tail,
       "endpoint 'http://localhost:80' must be unix:///absolute/path or dns:///host:port"},
      {"args.plugin.yaml", head + "endpoint: dns:///localhost:7000\nargs: [a]\n" + tail,
       "'args' applies only to plugins deltascope starts"},
      {"content.plugin.yaml", head + "endpoint: unix:///tmp/x.sock\ncontent: path\n" + tail,
       "content: path is impossible for an attached plugin"},
  };
  for (const Bad& c : cases) {
    t.Write("plugins/" + c.file, c.body);
    ProcessResult r =
        RunDeltascope({"plugins", "list", "--plugin-dir", (t / "plugins" / c.file).string()});
    EXPECT_NE(r.out.find((t / "plugins" / c.file).string() + ":"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.reason), std::string::npos) << c.file << ": " << r.out;
    EXPECT_EQ(r.out.find('\n'), r.out.rfind('\n')) << "one line: " << r.out;
  }
}

}  // namespace
}  // namespace deltascope::testing
