// deltascoped end to end: the real daemon on a real Unix socket, driven by the real CLI.
#include "tests/support/daemon.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

// Two large sparse files that differ only in their last byte: slow to hash, instant to create.
void MakeSlowPair(const ScratchTree& t, uint64_t size) {
  for (const char* side : {"slow-a", "slow-b"}) {
    t.Mkdir(side);
    int fd = ::open((t / side / "big.bin").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
    char last = side[5];
    ASSERT_EQ(::pwrite(fd, &last, 1, static_cast<off_t>(size - 1)), 1);
    ::close(fd);
  }
}

void MakeSmallPair(const ScratchTree& t) {
  t.Write("a/keep.txt", "one\ntwo\n");
  t.Write("b/keep.txt", "one\n2\n");
  t.Write("a/gone.csv", "x\n1\n");
  t.Write("b/sub/new.txt", "hello\n");
}

TEST(DaemonTest, ClientModeIsByteIdenticalToTheEmbeddedEngine) {
  ScratchTree t;
  MakeSmallPair(t);
  TestDaemon daemon(t / "d.sock");
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  for (const char* format : {"json", "markdown"}) {
    RunOptions in_tree;
    in_tree.cwd = t.root();
    ProcessResult local = RunDeltascope({"diff", "a", "b", "--format", format}, in_tree);
    ProcessResult remote =
        RunDeltascope({"diff", "a", "b", "--format", format, "--daemon", daemon.target()}, in_tree);
    EXPECT_EQ(local.exit_code, 1);
    EXPECT_EQ(remote.exit_code, 1) << remote.err;
    EXPECT_EQ(remote.out, local.out);
  }
  // The environment variable works as well as the flag.
  RunOptions env;
  env.cwd = t.root();
  env.extra_env = {"DELTASCOPE_DAEMON=" + daemon.target()};
  EXPECT_EQ(RunDeltascope({"diff", "a", "a"}, env).exit_code, 0);
}

TEST(DaemonTest, ConfigFileReachesTheDaemon) {
  ScratchTree t;
  t.Write("a/people.csv", "id,name\n1,Ann\n2,Bob\n3,Cy\n");
  t.Write("b/people.csv", "id,name\n3,Cy\n1,Ann\n2,Rob\n");
  t.Write("keyed.yaml", "tables:\n  - {path: 'people\\.csv', key: id}\n");
  TestDaemon daemon(t / "d.sock");
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  RunOptions in_tree;
  in_tree.cwd = t.root();
  ProcessResult local =
      RunDeltascope({"diff", "a", "b", "--format", "json", "--config", "keyed.yaml"}, in_tree);
  ProcessResult remote = RunDeltascope(
      {"diff", "a", "b", "--format", "json", "--config", "keyed.yaml", "--daemon", daemon.target()},
      in_tree);
  ASSERT_EQ(local.exit_code, 1) << local.err;
  EXPECT_NE(local.out.find("\"rows_modified\": 1"), std::string::npos) << local.out;  // keyed
  EXPECT_EQ(remote.exit_code, 1) << remote.err;
  EXPECT_EQ(remote.out, local.out);
  // A bad config is refused by name, before the daemon is asked.
  t.Write("bad.yaml", "tables: 3\n");
  ProcessResult bad = RunDeltascope(
      {"diff", "a", "b", "--config", "bad.yaml", "--daemon", daemon.target()}, in_tree);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.yaml"), std::string::npos) << bad.err;
}

TEST(DaemonTest, UnreachableDaemonIsOneClearLine) {
  ScratchTree t;
  MakeSmallPair(t);
  ProcessResult r = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--daemon",
                                   "unix://" + (t / "nobody.sock").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot reach deltascoped"), std::string::npos) << r.err;
}

// One code path (DiffSession) behind both front ends: the same output and the same exit status
// (the client shows the daemon's Done.exit_status) for no changes, changes and trouble.
TEST(DaemonTest, ClientAndEmbeddedRunsShareOutputAndExitStatus) {
  ScratchTree t;
  MakeSmallPair(t);
  for (const char* side : {"za", "zb"}) {
    const std::string code = absl::StrCat(
        "import io, sys, zipfile\n"
        "inner = io.BytesIO()\n"
        "with zipfile.ZipFile(inner, 'w') as z: z.writestr('f.txt', sys.argv[2])\n"
        "with zipfile.ZipFile(sys.argv[1], 'w') as z: z.writestr('inner.zip', inner.getvalue())\n");
    t.Mkdir(side);
    ProcessResult made = RunProcess({std::string(DELTASCOPE_SOURCE_DIR) + "/.venv/bin/python", "-c",
                                     code, (t / side / "x.zip").string(), side});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  // Archives nested deeper than the config allows are an error diagnostic: exit status 2.
  t.Write("shallow.yaml", "archives:\n  max_depth: 1\n");
  TestDaemon daemon(t / "d.sock");
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  const struct {
    std::vector<std::string> args;
    int exit_code;
  } cases[] = {
      {{"diff", "a", "a", "--format", "json"}, 0},
      {{"diff", "a", "b", "a", "--format", "json"}, 1},
      {{"diff", "za", "zb", "--format", "json", "--config", "shallow.yaml"}, 2},
  };
  RunOptions in_tree;
  in_tree.cwd = t.root();
  for (const auto& c : cases) {
    ProcessResult local = RunDeltascope(c.args, in_tree);
    std::vector<std::string> remote_args = c.args;
    remote_args.insert(remote_args.end(), {"--daemon", daemon.target()});
    ProcessResult remote = RunDeltascope(remote_args, in_tree);
    EXPECT_EQ(local.exit_code, c.exit_code) << local.out << local.err;
    EXPECT_EQ(remote.exit_code, c.exit_code) << remote.out << remote.err;
    EXPECT_EQ(remote.out, local.out);
  }
}

// A daemon whose answer cannot be read (another version, or not deltascoped at all) is one clear
// error: never an empty changelog with exit 0, never a client waiting for a stream that stays open.
TEST(DaemonTest, AnswerThatIsNotAChangesetIsOneClearLine) {
  const std::string python = std::string(DELTASCOPE_SOURCE_DIR) + "/.venv/bin/python";
  ASSERT_TRUE(std::filesystem::exists(python)) << "run scripts/install-deps.sh";
  ScratchTree t;
  MakeSmallPair(t);
  const std::pair<const char*, const char*> cases[] = {
      {"garbage", "is not a DiffEvent"},
      {"garbage-end", "is not a DiffEvent"},
      {"empty", "sent 0 changesets for 1 snapshot pairs"},
  };
  for (const auto& [mode, message] : cases) {
    const std::filesystem::path socket = t / absl::StrCat(mode, ".sock");
    BackgroundProcess fake({python,
                            std::string(DELTASCOPE_SOURCE_DIR) + "/tests/support/fake_daemon.py",
                            socket.string(), mode});
    ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(fake.Stderr(), "fake daemon ready"); }))
        << fake.Stderr();
    RunOptions bounded;
    bounded.timeout_seconds = 60;  // the old client waited here forever in the "garbage" case
    ProcessResult r = RunDeltascope(
        {"diff", (t / "a").string(), (t / "b").string(), "--daemon", "unix://" + socket.string()},
        bounded);
    EXPECT_EQ(r.exit_code, 2) << mode << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << mode << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << mode << ": " << r.out;
  }
}

TEST(DaemonTest, ConcurrentClientsAllGetTheSameAnswer) {
  ScratchTree t;
  MakeSmallPair(t);
  TestDaemon daemon(t / "d.sock", {"--max-concurrent", "2", "--max-queued", "16"});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  std::vector<ProcessResult> results(8);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < results.size(); ++i) {
    clients.emplace_back([&, i] {
      results[i] = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format",
                                  "json", "--daemon", daemon.target()});
    });
  }
  for (auto& c : clients) c.join();
  for (const ProcessResult& r : results) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out, results[0].out);
  }
}

TEST(DaemonTest, FullQueueIsRefusedWithResourceExhausted) {
  ScratchTree t;
  MakeSlowPair(t, 16ull << 30);
  MakeSmallPair(t);
  TestDaemon daemon(t / "d.sock", {"--max-concurrent", "1", "--max-queued", "0"});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  BackgroundProcess slow({BinPath("deltascope"), "diff", (t / "slow-a").string(),
                          (t / "slow-b").string(), "--daemon", daemon.target()});
  ASSERT_TRUE(WaitForLog(daemon.process(), "diff started"));  // the slow diff has the only slot
  ProcessResult refused =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--daemon", daemon.target()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("busy"), std::string::npos) << refused.err;
  EXPECT_EQ(slow.Wait(0), -1);  // still running: it was the slow diff that held the slot
}

TEST(DaemonTest, ClientThatDisconnectsMidDiffDoesNotBlockOthers) {
  ScratchTree t;
  MakeSlowPair(t, 16ull << 30);
  MakeSmallPair(t);
  TestDaemon daemon(t / "d.sock", {"--max-concurrent", "1", "--max-queued", "4"});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  {
    BackgroundProcess slow({BinPath("deltascope"), "diff", (t / "slow-a").string(),
                            (t / "slow-b").string(), "--daemon", daemon.target()});
    ASSERT_TRUE(WaitForLog(daemon.process(), "diff started"));
  }  // killed: the daemon must cancel its diff and free the slot
  ProcessResult next =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--daemon", daemon.target()});
  EXPECT_EQ(next.exit_code, 1) << next.err;
  // The abandoned diff was cancelled (mid-file: hashing stops), not run to its end.
  EXPECT_NE(daemon.process().Stderr().find("diff cancelled: the client went away"),
            std::string::npos)
      << daemon.process().Stderr();
}

TEST(DaemonTest, SigtermDrainsInFlightDiffsThenExits) {
  ScratchTree t;
  MakeSlowPair(t, 1ull << 30);
  TestDaemon daemon(t / "d.sock");
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  BackgroundProcess client({BinPath("deltascope"), "diff", (t / "slow-a").string(),
                            (t / "slow-b").string(), "--daemon", daemon.target()});
  ASSERT_TRUE(WaitForLog(daemon.process(), "diff started"));
  daemon.process().Signal(SIGTERM);
  EXPECT_EQ(client.Wait(60), 1) << client.Stderr();  // the in-flight diff finished
  EXPECT_EQ(daemon.process().Wait(60), 0) << daemon.process().Stderr();
  EXPECT_NE(daemon.process().Stderr().find("\"msg\":\"draining\""), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(t / "d.sock"));
}

}  // namespace
}  // namespace deltascope::testing

namespace deltascope::testing {
namespace {

int CountProcessesWith(const std::string& marker) {
  return static_cast<int>(ProcessesWithEnv(marker).size());
}

TEST(DaemonPluginTest, PluginsStayWarmReportMetricsAndStopWithTheDaemon) {
  ScratchTree t;
  const std::string marker = absl::StrCat("daemon-marker-", ::getpid());
  t.Write("plugins/bad-ok.plugin.yaml",
          absl::StrCat("name: bad-ok\nversion: 1.0\ncommand: ", BinPath("deltascope-test-plugin"),
                       "\nenv: {BAD_MODE: ok, BAD_MARKER: ", marker,
                       "}\ncomparators:\n  - name: bad\n    extensions: [.bad]\n",
                       "limits: {max_instances: 1}\n"));
  t.Write("a/x.bad", "1\n");
  t.Write("b/x.bad", "2\n");
  TestDaemon daemon(t / "d.sock", {"--plugin-dir", (t / "plugins").string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  for (int i = 0; i < 2; ++i) {
    ProcessResult r = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format",
                                     "json", "--daemon", daemon.target()});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.out.find("\"summary\": \"plugin ok\""), std::string::npos) << r.out;
  }
  ProcessResult status = RunDeltascope({"daemon", "status", "--daemon", daemon.target()});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  // One warm instance served both requests: two calls, no restart.
  EXPECT_NE(status.out.find("instances 1  calls 2  failures 0"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("restarts 0"), std::string::npos) << status.out;
  // The warm plugin (under bubblewrap: its bwrap parent and namespace init carry the marker too).
  EXPECT_GE(CountProcessesWith(marker), 1);
  daemon.process().Signal(SIGHUP);  // reload: a new generation, the old one drains
  ASSERT_TRUE(WaitForLog(daemon.process(), "reloaded"));
  ProcessResult after =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--daemon", daemon.target()});
  EXPECT_EQ(after.exit_code, 1) << after.err;
  daemon.process().Signal(SIGTERM);
  EXPECT_EQ(daemon.process().Wait(30), 0) << daemon.process().Stderr();
  EXPECT_EQ(CountProcessesWith(marker), 0);  // no plugin process outlives the daemon
}

// Children of `pid` that have exited but were never reaped.
std::vector<int> ZombieChildren(int pid) {
  std::vector<int> zombies;
  for (const auto& task :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"))) {
    std::istringstream children(ReadFile(task.path() / "children"));
    for (int child; children >> child;) {
      const std::string stat = ReadFile(absl::StrCat("/proc/", child, "/stat"));
      const size_t paren = stat.rfind(')');
      if (paren != std::string::npos && stat.compare(paren, 3, ") Z") == 0)
        zombies.push_back(child);
    }
  }
  return zombies;
}

// The daemon is its plugins' subreaper: what their sandboxes leave behind (bubblewrap's init,
// which bwrap does not reap) is re-parented to it and must be reaped, crash after crash.
TEST(DaemonPluginTest, SandboxedPluginsThatCrashLeaveNoZombies) {
  ScratchTree t;
  const std::string marker = absl::StrCat("daemon-zombie-marker-", ::getpid());
  t.Write("plugins/bad-segv.plugin.yaml",
          absl::StrCat("name: bad-segv\nversion: 1.0\ncommand: ", BinPath("deltascope-test-plugin"),
                       "\nenv: {BAD_MODE: segv, BAD_MARKER: ", marker,
                       "}\ncomparators:\n  - name: bad\n    extensions: [.bad]\n",
                       "limits: {max_instances: 1}\nsandbox: standard\n"));
  for (int i = 0; i < 3; ++i) {
    t.Write(absl::StrCat("a/x", i, ".bad"), "1\n");
    t.Write(absl::StrCat("b/x", i, ".bad"), "2\n");
  }
  TestDaemon daemon(t / "d.sock", {"--plugin-dir", (t / "plugins").string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ProcessResult r = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format",
                                   "json", "--daemon", daemon.target(), "--jobs", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("plugin-crash"), std::string::npos) << r.out;
  EXPECT_EQ(ZombieChildren(daemon.pid()), std::vector<int>{});
  daemon.process().Signal(SIGTERM);
  EXPECT_EQ(daemon.process().Wait(30), 0) << daemon.process().Stderr();
  EXPECT_EQ(CountProcessesWith(marker), 0);
}

}  // namespace
}  // namespace deltascope::testing
