// Soak under faults: the real daemon serves 32 concurrent CLI clients, each running diffs of a
// generated snapshot pair, while the test plugin crashes on about 1 call in 50 and hangs on about
// 1 in 200 (BAD_MODE=flaky). Asserted: every changed path is in every result, described by the
// plugin or, with a plugin diagnostic, by the built-in fallback, and otherwise identical to a
// fault-free run; no plugin process outlives its generation or the daemon; the daemon's
// descriptor count and RSS, measured idle after warm-up and at the end, do not grow.
//
// A plugin is quarantined after 3 failures in 60 s until the daemon reloads, so a reloader sends
// SIGHUP every 0.3 s: faults keep being injected, and generations of plugins keep being built
// and torn down under load (which is what would leak).
//
// The ctest run is bounded (a few diffs per client); DELTASCOPE_SOAK_SECONDS=600 runs the
// clients for ten minutes instead and prints the figures for docs/testing-soak.md.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

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
using Clock = std::chrono::steady_clock;

constexpr int kClients = 32;
constexpr int kBoundedDiffsPerClient = 3;
constexpr int kMaxInstances = 4;
const std::set<std::string> kPluginCodes = {"plugin-crash", "plugin-timeout", "plugin-quarantined",
                                            "plugin-unavailable", "plugin-busy"};

// The snapshot pair: .bad files (the plugin's) modified, added and removed, in folders, next to
// text, CSV and unchanged files the built-ins handle.
void MakeSnapshots(const ScratchTree& t) {
  for (int d = 0; d < 4; ++d) {
    for (int f = 0; f < 6; ++f) {
      const std::string name = absl::StrCat("d", d, "/f", f);
      t.Write(absl::StrCat("a/", name, ".bad"), absl::StrCat("old ", d, f, "\n"));
      t.Write(absl::StrCat("b/", name, ".bad"), absl::StrCat("new ", d, f, "\n"));
    }
    t.Write(absl::StrCat("a/d", d, "/notes.txt"), "one\ntwo\n");
    t.Write(absl::StrCat("b/d", d, "/notes.txt"), absl::StrCat("one\n", d, "\n"));
    t.Write(absl::StrCat("a/d", d, "/table.csv"), "id,v\n1,a\n2,b\n");
    t.Write(absl::StrCat("b/d", d, "/table.csv"), absl::StrCat("id,v\n1,a\n2,", d, "\n3,c\n"));
    t.Write(absl::StrCat("a/d", d, "/same.txt"), "same\n");
    t.Write(absl::StrCat("b/d", d, "/same.txt"), "same\n");
  }
  t.Write("a/removed.bad", "gone\n");
  t.Write("b/added.bad", "fresh content\n");
}

// `pipe` false: the plugin serves Compare only (BAD_NO_PIPE), one call per instance at a time.
void WriteManifest(const ScratchTree& t, const std::string& mode, const std::string& marker,
                   bool pipe = true) {
  t.Write(
      absl::StrCat("plugins-", mode, "/bad.plugin.yaml"),
      absl::StrCat(
          "name: bad-flaky\nversion: 1.0\ncommand: ", BinPath("deltascope-test-plugin"),
          "\nenv: {BAD_MODE: ", mode, ", BAD_MARKER: ", marker,
          ", BAD_CRASH_EVERY: '50', BAD_HANG_EVERY: '200', BAD_SEED: '7', ",
          pipe ? "" : "BAD_NO_PIPE: '1', ", "BAD_FAULT_LOG: ", (t / "faults.log").string(),
          "}\ncomparators:\n  - name: bad\n    extensions: [.bad]\n",
          // 1 s: meant to fire on the flaky plugin's hangs; the healthy reference gets a minute.
          "limits: {call_timeout: ", mode == "ok" ? "60s" : "1s",
          ", startup_timeout: 60s, max_instances: ", kMaxInstances, "}\nsandbox: off\n"));
}

// One local (in-process) run: the reference nodes by path.
std::map<std::string, Json> Reference(const ScratchTree& t, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"diff", (t / "a").string(), (t / "b").string(), "--format",
                                   "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult r = RunDeltascope(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  Json cs = Json::parse(r.out);
  EXPECT_FALSE(cs.contains("diagnostics")) << r.out;
  return NodesByPath(cs);
}

struct Tally {
  std::mutex mu;
  int diffs = 0, failed_runs = 0, items_lost = 0, unexplained = 0;
  std::map<std::string, int> diagnostics;  // by code
  std::string first_problem;
  std::string crash_reports;  // every plugin-crash message, for a failure's explanation

  void Problem(const std::string& what) {
    if (first_problem.empty()) first_problem = what;
  }
};

// Checks one client result against the references; counts what it saw.
void CheckResult(const ProcessResult& r, const std::map<std::string, Json>& plugin_ref,
                 const std::map<std::string, Json>& fallback_ref, Tally& tally) {
  std::lock_guard<std::mutex> lock(tally.mu);
  ++tally.diffs;
  Json cs = Json::parse(r.out, nullptr, false);
  if (r.exit_code != 1 || cs.is_discarded()) {
    ++tally.failed_runs;
    tally.Problem(absl::StrCat("exit ", r.exit_code, " signal ", r.signal, ": ", r.err));
    return;
  }
  std::map<std::string, std::string> fallen_back;  // path -> code
  for (const Json& d : cs.value("diagnostics", Json::array())) {
    const std::string code = d.value("code", "");
    ++tally.diagnostics[code];
    if (code == "plugin-crash") absl::StrAppend(&tally.crash_reports, d.value("message", ""), "\n");
    if (!kPluginCodes.count(code)) tally.Problem(absl::StrCat("unexpected diagnostic ", d.dump()));
    fallen_back[d.value("path", "")] = code;
  }
  std::map<std::string, Json> nodes = NodesByPath(cs);
  for (const auto& [path, want] : plugin_ref) {
    auto got = nodes.find(path);
    if (got == nodes.end()) {
      ++tally.items_lost;
      tally.Problem(absl::StrCat(path, " lost"));
    } else if (got->second != want &&
               !(fallen_back.count(path) && got->second == fallback_ref.at(path))) {
      ++tally.unexplained;
      tally.Problem(absl::StrCat(path, " differs: ", got->second.dump()));
    }
  }
  if (nodes.size() != plugin_ref.size()) {
    ++tally.unexplained;
    tally.Problem(absl::StrCat(nodes.size(), " nodes instead of ", plugin_ref.size()));
  }
}

int Lines(const std::string& text, const std::string& prefix) {
  int n = 0;
  for (size_t at = 0; (at = text.find(prefix, at)) != std::string::npos; ++at) {
    if (at == 0 || text[at - 1] == '\n') ++n;
  }
  return n;
}

// The daemon's `plugin event` log lines of kind `event`.
int PluginEvents(const std::string& log, const std::string& event) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    Json j = Json::parse(line, nullptr, false);
    n += j.is_object() && j.value("msg", "") == "plugin event" && j.value("event", "") == event;
  }
  return n;
}

// The plugin's crash and timeout counters, as PluginStatus gives them.
uint64_t CountedFailures(const TestDaemon& daemon) {
  auto api = ::deltascope::daemon::v1::Deltascope::NewStub(
      grpc::CreateChannel(daemon.target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ::deltascope::daemon::v1::PluginStatusResponse resp;
  EXPECT_TRUE(api->PluginStatus(&ctx, {}, &resp).ok());
  uint64_t n = 0;
  for (const auto& p : resp.plugins()) n += p.crashes() + p.timeouts();
  return n;
}

// SIGHUPs the daemon, then waits (up to 30 s) until no plugin process of older generations is
// left: the daemon is idle with no plugin running.
bool ReloadAndSettle(TestDaemon& daemon, const std::string& marker) {
  daemon.process().Signal(SIGHUP);
  return WaitUntil([&] { return ProcessesWithEnv(marker).empty(); }, std::chrono::seconds(30));
}

// With the plugin served by Compare (one call per process at a time) and by ComparePipe (many
// calls share a process).
class SoakTest : public ::testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(Path, SoakTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Pipe" : "Compare"; });

TEST_P(SoakTest, DaemonUnderPluginFaultsLosesNothingAndLeaksNothing) {
  const bool pipe = GetParam();
  const char* env_seconds = std::getenv("DELTASCOPE_SOAK_SECONDS");
  const int soak_seconds = env_seconds ? std::atoi(env_seconds) : 0;
  ScratchTree t;
  const std::string marker = absl::StrCat("soak-marker-", ::getpid());
  MakeSnapshots(t);
  WriteManifest(t, "ok", marker);
  WriteManifest(t, "flaky", marker, pipe);
  const std::map<std::string, Json> plugin_ref =
      Reference(t, {"--plugin-dir", (t / "plugins-ok").string()});
  const std::map<std::string, Json> fallback_ref = Reference(t, {"--no-plugins"});
  ASSERT_EQ(plugin_ref.size(), fallback_ref.size());

  TestDaemon daemon(t / "d.sock", {"--plugin-dir", (t / "plugins-flaky").string(),
                                   "--max-concurrent", "4", "--max-queued", "64", "--jobs", "2"});
  Tally tally;
  auto client = [&](int diffs, Clock::time_point until) {
    for (int i = 0; i < diffs || Clock::now() < until; ++i) {
      RunOptions options;
      options.timeout_seconds = 300;
      ProcessResult r = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format",
                                       "json", "--daemon", daemon.target()},
                                      options);
      CheckResult(r, plugin_ref, fallback_ref, tally);
    }
  };
  auto run_clients = [&](int diffs, Clock::time_point until) {
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) clients.emplace_back(client, diffs, until);
    for (auto& c : clients) c.join();
  };

  // Warm-up: one diff per client, then measure the idle daemon.
  run_clients(1, Clock::now());
  ASSERT_TRUE(ReloadAndSettle(daemon, marker));
  const int fd_start = OpenFdCount(daemon.pid());
  const long rss_start = RssKb(daemon.pid());

  std::atomic<bool> done{false};
  std::atomic<int> reloads{0}, max_plugin_processes{0};
  std::thread reloader([&] {
    while (!done.load()) {
      for (int i = 0; i < 3 && !done.load(); ++i) {
        ::usleep(100000);
        int n = static_cast<int>(ProcessesWithEnv(marker).size());
        if (n > max_plugin_processes.load()) max_plugin_processes = n;
      }
      daemon.process().Signal(SIGHUP);
      ++reloads;
    }
  });
  const auto start = Clock::now();
  run_clients(soak_seconds > 0 ? 0 : kBoundedDiffsPerClient,
              start + std::chrono::seconds(soak_seconds));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  done = true;
  reloader.join();

  ASSERT_TRUE(ReloadAndSettle(daemon, marker)) << ProcessesWithEnv(marker).size() << " left";
  // Dead instances' channels close off the request path, after their processes are gone: a leak
  // is an fd that never comes back, so wait for the count to settle rather than take one sample.
  int fd_end = OpenFdCount(daemon.pid());
  WaitUntil([&] { return (fd_end = OpenFdCount(daemon.pid())) <= fd_start + 8; });
  const long rss_end = RssKb(daemon.pid());
  const std::string faults = ReadFile(t / "faults.log");
  const int crashes = Lines(faults, "crash "), hangs = Lines(faults, "hang ");
  // Counted since the daemon started, across every reload; and each one logged as it happened.
  const uint64_t counted = CountedFailures(daemon);
  const std::string log = daemon.process().Stderr();
  const int logged = PluginEvents(log, "crash") + PluginEvents(log, "timeout");
  daemon.process().Signal(SIGTERM);
  const int daemon_exit = daemon.process().Wait(60);
  const size_t left_after_exit = ProcessesWithEnv(marker).size();

  std::printf(
      "soak: %d clients, %.0f s, %d diffs (%d items each), %d reloads; faults injected: %d "
      "crashes, %d hangs; diagnostics: crash %d, timeout %d, quarantined %d, unavailable %d; "
      "items lost %d, unexplained %d, failed runs %d; plugin processes at most %d, left %zu; "
      "daemon fds %d -> %d, RSS %ld -> %ld KiB\n",
      kClients, seconds, tally.diffs, static_cast<int>(plugin_ref.size()), reloads.load(), crashes,
      hangs, tally.diagnostics["plugin-crash"], tally.diagnostics["plugin-timeout"],
      tally.diagnostics["plugin-quarantined"], tally.diagnostics["plugin-unavailable"],
      tally.items_lost, tally.unexplained, tally.failed_runs, max_plugin_processes.load(),
      left_after_exit, fd_start, fd_end, rss_start, rss_end);

  EXPECT_EQ(tally.failed_runs, 0) << tally.first_problem;
  EXPECT_EQ(tally.items_lost, 0) << tally.first_problem;
  EXPECT_EQ(tally.unexplained, 0) << tally.first_problem;
  EXPECT_GT(crashes + hangs, 0);  // faults were injected...
  // A process death is reported at most once (on the item that caused it, or beside the oldest
  // item then in flight on its pipe).
  EXPECT_LE(tally.diagnostics["plugin-crash"], crashes) << faults << tally.crash_reports;
  if (pipe) {
    // Calls share processes: two faults in one process (a hang and a crash, two crashes at once)
    // end it once, and a hung call that a crash ended is made again instead of timing out. So
    // every fault cannot be its own report; some are, and the rest lost nothing (above).
    EXPECT_GT(tally.diagnostics["plugin-crash"] + tally.diagnostics["plugin-timeout"], 0);
    EXPECT_GT(counted, 0u);
    EXPECT_EQ(static_cast<uint64_t>(logged), counted);
  } else {
    // ...and each one was reported on its call's item: a hang as a timeout, a crash as a crash
    // (or, should the dying process outlast the deadline, as a timeout). A loaded machine may
    // also push a healthy call past its deadline: one more timeout, reported and lost nothing
    // (checked above), so the counts are bounds, never exact.
    EXPECT_GE(tally.diagnostics["plugin-crash"] + tally.diagnostics["plugin-timeout"],
              crashes + hangs)
        << faults;
    EXPECT_GE(counted, static_cast<uint64_t>(crashes + hangs));
    EXPECT_GE(logged, crashes + hangs);
    EXPECT_GE(tally.diagnostics["plugin-timeout"], hangs) << faults;
  }
  // A bound, not a count: generations overlap across reloads and dead instances are torn down off
  // the request path, so more live at once on a slow (sanitized, loaded) machine; an instance
  // leaked per request would still pass it within seconds. Leaks proper: left_after_exit.
  EXPECT_LE(max_plugin_processes.load(), kMaxInstances * 16);
  EXPECT_EQ(left_after_exit, 0u);
  EXPECT_EQ(daemon_exit, 0) << daemon.process().Stderr().substr(0, 4000);
  EXPECT_LE(fd_end, fd_start + 8);
  EXPECT_LE(rss_end, 2 * rss_start);
}

}  // namespace
}  // namespace deltascope::testing
