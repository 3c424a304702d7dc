// The daemon and its plugins, as an operator sees them (issue #17): a hanging plugin costs its
// own capacity, not the diff slots of requests that do not use it; plugin events are JSON log
// lines; counters survive reloads and an invalid manifest leaves the serving set alone; Python
// plugins start whatever the daemon's working folder is, and never see it.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "deltascope/daemon/v1/daemon.grpc.pb.h"
#include "tests/support/changeset_json.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;
namespace pb = ::deltascope::daemon::v1;

// Lines of `file` starting with `prefix`, waited for (up to a minute) until there are `count`.
bool WaitForLines(const fs::path& file, const std::string& prefix, int count) {
  return WaitUntil([&] {
    int n = 0;
    for (absl::string_view line : absl::StrSplit(ReadFile(file), '\n')) {
      n += absl::StartsWith(line, prefix);
    }
    return n >= count;
  });
}

// The daemon's JSON log lines whose msg is `msg`.
std::vector<Json> LogLines(const BackgroundProcess& daemon, const std::string& msg) {
  std::vector<Json> out;
  for (absl::string_view line : absl::StrSplit(daemon.Stderr(), '\n')) {
    Json j = Json::parse(line, nullptr, false);
    if (j.is_object() && j.value("msg", "") == msg) out.push_back(std::move(j));
  }
  return out;
}

// A manifest for the test plugin; `marker` (in its environment only) finds its processes.
std::string BadManifest(const std::string& name, const std::string& mode, const ScratchTree& t,
                        const std::string& limits, const std::string& marker = "unused") {
  return absl::StrCat("name: ", name,
                      "\nversion: 1.0\ncommand: ", BinPath("deltascope-test-plugin"),
                      "\nenv: {BAD_MODE: ", mode, ", BAD_MARKER: ", marker,
                      ", BAD_FAULT_LOG: ", (t / "faults.log").string(),
                      "}\ncomparators:\n  - name: bad\n    extensions: [.bad]\nlimits: {", limits,
                      "}\nsandbox: off\n");
}

// Defect 5: two diffs blocked on a hanging plugin used to hold both of the daemon's slots, and a
// plain diff (no item for that plugin) waited behind them. Now it completes while they hang;
// then the hung plugin dies and their items fall back to the built-in with the reason: nothing
// lost. The plugin's crashes are JSON log lines.
TEST(DaemonPluginIsolationTest, APlainDiffCompletesWhileTwoDiffsHangOnAPlugin) {
  ScratchTree t;
  const std::string marker = absl::StrCat("isolation-marker-", ::getpid());
  t.Write("plugins/hang.plugin.yaml",
          BadManifest("bad-hang", "hang", t, "call_timeout: 10m, max_instances: 2", marker));
  t.Write("hang-a/x.bad", "one\n");
  t.Write("hang-b/x.bad", "two\n");
  t.Write("plain-a/notes.txt", "one\n");
  t.Write("plain-b/notes.txt", "two\n");
  TestDaemon daemon(t / "d.sock", {"--plugin-dir", (t / "plugins").string(), "--max-concurrent",
                                   "2", "--jobs", "1"});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  auto client = [&](const std::string& a, const std::string& b) {
    return std::make_unique<BackgroundProcess>(
        std::vector<std::string>{BinPath("deltascope"), "diff", (t / a).string(), (t / b).string(),
                                 "--format", "json", "--daemon", daemon.target()});
  };
  std::unique_ptr<BackgroundProcess> hung1 = client("hang-a", "hang-b");
  std::unique_ptr<BackgroundProcess> hung2 = client("hang-a", "hang-b");
  // Both calls are in the plugin, hanging: the daemon's two slots are those diffs'.
  ASSERT_TRUE(WaitForLines(t / "faults.log", "hang ", 2)) << daemon.process().Stderr();

  ProcessResult plain = RunDeltascope({"diff", (t / "plain-a").string(), (t / "plain-b").string(),
                                       "--format", "json", "--daemon", daemon.target()});
  ASSERT_EQ(plain.exit_code, 1) << plain.err;
  EXPECT_EQ(NodesByPath(Json::parse(plain.out)).count("notes.txt"), 1u) << plain.out;
  // ...while the two others are still hanging: only the plain diff has finished.
  std::vector<Json> requests = LogLines(daemon.process(), "request");
  ASSERT_EQ(requests.size(), 1u) << daemon.process().Stderr();
  EXPECT_NE(requests[0].value("snapshots", "").find("plain-a"), std::string::npos);

  // The hung plugin dies: its items fall back to the built-in, each with the plugin's reason.
  for (int pid : ProcessesWithEnv(marker)) ::kill(pid, SIGKILL);
  for (BackgroundProcess* hung : {hung1.get(), hung2.get()}) {
    ASSERT_EQ(hung->Wait(120), 1) << hung->Stderr();
    Json cs = Json::parse(hung->Stdout());
    EXPECT_EQ(NodesByPath(cs).count("x.bad"), 1u) << hung->Stdout();
    ASSERT_EQ(cs["diagnostics"].size(), 1u) << hung->Stdout();
    EXPECT_EQ(cs["diagnostics"][0]["code"], "plugin-crash") << hung->Stdout();
    EXPECT_EQ(cs["diagnostics"][0]["path"], "x.bad");
  }
  std::vector<Json> events = LogLines(daemon.process(), "plugin event");
  ASSERT_GE(events.size(), 2u) << daemon.process().Stderr();
  for (const Json& e : events) {
    EXPECT_EQ(e.value("plugin", ""), "bad-hang");
    EXPECT_EQ(e.value("event", ""), "crash") << e.dump();
    EXPECT_EQ(e.value("level", ""), "warning");
    EXPECT_NE(e.value("detail", "").find("on x.bad"), std::string::npos) << e.dump();
  }
}

std::unique_ptr<pb::Deltascope::Stub> Api(const TestDaemon& daemon) {
  return pb::Deltascope::NewStub(
      grpc::CreateChannel(daemon.target(), grpc::InsecureChannelCredentials()));
}

uint64_t Calls(pb::Deltascope::Stub& api, const std::string& plugin) {
  grpc::ClientContext ctx;
  pb::PluginStatusRequest req;
  req.set_name(plugin);
  pb::PluginStatusResponse resp;
  EXPECT_TRUE(api.PluginStatus(&ctx, req, &resp).ok());
  return resp.plugins_size() == 1 ? resp.plugins(0).calls() : 0;
}

// Defect 7 (plugin side): counters survive reloads, and a reload that finds an invalid manifest
// says so and changes nothing (the plugin keeps serving).
TEST(DaemonPluginIsolationTest, ReloadKeepsCountersAndRefusesAnInvalidManifest) {
  ScratchTree t;
  t.Write("plugins/ok.plugin.yaml", BadManifest("bad-ok", "ok", t, "max_instances: 1"));
  t.Write("a/x.bad", "one\n");
  t.Write("b/x.bad", "two\n");
  TestDaemon daemon(t / "d.sock", {"--plugin-dir", (t / "plugins").string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  auto diff = [&] {
    ProcessResult r = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format",
                                     "json", "--daemon", daemon.target()});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    return NodesByPath(Json::parse(r.out))["x.bad"].value("summary", "");
  };
  std::unique_ptr<pb::Deltascope::Stub> api = Api(daemon);
  EXPECT_EQ(diff(), "plugin ok");
  EXPECT_EQ(Calls(*api, "bad-ok"), 1u);

  t.Write("plugins/broken.plugin.yaml", "name: broken\nversion: [\n");
  {
    grpc::ClientContext ctx;
    pb::ReloadResponse resp;
    ASSERT_TRUE(api->Reload(&ctx, pb::ReloadRequest(), &resp).ok());
    ASSERT_EQ(resp.errors_size(), 1);
    EXPECT_NE(resp.errors(0).find("broken.plugin.yaml: invalid manifest"), std::string::npos)
        << resp.errors(0);
  }
  EXPECT_EQ(diff(), "plugin ok");  // the previous set serves on
  EXPECT_EQ(Calls(*api, "bad-ok"), 2u);

  fs::remove(t / "plugins/broken.plugin.yaml");
  {
    grpc::ClientContext ctx;
    pb::ReloadResponse resp;
    ASSERT_TRUE(api->Reload(&ctx, pb::ReloadRequest(), &resp).ok());
    EXPECT_EQ(resp.errors_size(), 0) << resp.errors(0);
  }
  EXPECT_EQ(Calls(*api, "bad-ok"), 2u);  // a new generation, the same counters
  EXPECT_EQ(diff(), "plugin ok");
  EXPECT_EQ(Calls(*api, "bad-ok"), 3u);
}

std::string VenvPython() { return std::string(DELTASCOPE_SOURCE_DIR) + "/.venv/bin/python"; }

// Whether `pid` descends from `ancestor` (by /proc parent links).
bool DescendsFrom(int pid, int ancestor) {
  for (int i = 0; i < 64 && pid > 1; ++i) {
    const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) return false;
    std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
    if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &pid)) return false;
    if (pid == ancestor) return true;
  }
  return false;
}

// Defect 8: with the daemon's working folder `/` a Python plugin aborted ("Failed to open
// /dev/urandom"); from any other folder that folder was visible inside the sandbox. A relative
// import path ($PYTHONPATH=.) is what brought the working folder in: both are run with one.
TEST(DaemonPluginIsolationTest, PythonPluginStartsWhateverTheWorkingFolderAndNeverSeesIt) {
  ASSERT_TRUE(fs::exists(VenvPython())) << "run scripts/install-deps.sh";
  ScratchTree t;
  t.Write("cwd/marker.txt", "the daemon's working folder\n");
  const fs::path examples = fs::path(DELTASCOPE_SOURCE_DIR) / "examples/snapshots";
  for (const fs::path& cwd : {fs::path("/"), t / "cwd"}) {
    SCOPED_TRACE(cwd.string());
    RunOptions options;
    options.cwd = cwd;
    // A cache of its own: the interpreter is asked from this folder.
    options.extra_env = {"PYTHONPATH=.",
                         absl::StrCat("XDG_CACHE_HOME=", (t / "cache" / cwd.filename()).string())};
    TestDaemon daemon(t / "d.sock", {"--python", VenvPython()}, options);
    ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
    ProcessResult r = RunDeltascope({"diff", (examples / "2024-01").string(),
                                     (examples / "2024-06").string(), "--daemon", daemon.target()});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.out.find("- **data/budget.sqlite/allocations**: table allocations: 3 rows added"),
              std::string::npos)
        << r.out << daemon.process().Stderr();
    EXPECT_EQ(r.out.find("Diagnostics"), std::string::npos) << r.out;
    // The warm plugin (the interpreter, not bubblewrap around it), looked at from outside: its
    // root is the sandbox's.
    int plugin = -1;
    for (int pid : ProcessesWithEnv("deltascope_plugin")) {
      const std::string cmdline = ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
      if (DescendsFrom(pid, daemon.pid()) && absl::StartsWith(cmdline, VenvPython()) &&
          cmdline.find("sqlite-python") != std::string::npos) {
        plugin = pid;
      }
    }
    ASSERT_GT(plugin, 0) << daemon.process().Stderr();
    const fs::path root = absl::StrCat("/proc/", plugin, "/root");
    EXPECT_TRUE(fs::exists(root / "usr/bin"));  // the check can see into it
    EXPECT_FALSE(fs::exists(root / (t / "cwd/marker.txt").relative_path()));
    daemon.process().Signal(SIGTERM);
    EXPECT_EQ(daemon.process().Wait(60), 0);
  }
}

}  // namespace
}  // namespace deltascope::testing
