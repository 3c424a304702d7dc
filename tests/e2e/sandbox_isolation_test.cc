// Isolation between a plugin and everything else it should not reach, in each sandbox mode: other
// plugins' sockets, writable places beyond its budgets, the user's terminal, processes that
// outlive the run. The plugin is the hostile one (tests/plugins/hostile/); every attack runs in
// standard and strict mode, and in off mode where that is safe, as the control that shows the
// attack itself works (or, for the terminal and escaped processes, that off mode holds too).
// As root, each also runs with the host dropped to an unprivileged user.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

// The summary the hostile plugin gave for data.hostile ("" when another comparator took it).
std::string HostileSummary(const Json& changeset) {
  for (const Json& child : changeset["root"]["children"]) {
    if (child["path"] == "data.hostile" && child["comparator"] == "hostile") {
      return child["summary"];
    }
  }
  return "";
}

// "disk: /=0 MiB, then EROFS; /dev/shm=64 MiB, then ENOSPC; ..." → MiB written to `place`, -1 when
// absent.
int MibWritten(absl::string_view summary, const std::string& place) {
  absl::ConsumePrefix(&summary, "disk: ");
  for (absl::string_view part : absl::StrSplit(summary, "; ")) {
    if (absl::ConsumePrefix(&part, place + "=")) {
      int mib = -1;
      return absl::SimpleAtoi(part.substr(0, part.find(' ')), &mib) ? mib : -1;
    }
  }
  return -1;
}

using Param = std::tuple<std::string, std::string, bool>;  // attack, sandbox mode, unprivileged

class IsolationTest : public ::testing::TestWithParam<Param> {};

TEST_P(IsolationTest, PluginReachesOnlyItsOwnChannelAndBudgets) {
  const auto& [attack, mode, unprivileged] = GetParam();
  if (unprivileged && ::geteuid() != 0) GTEST_SKIP() << "already unprivileged";
  if (attack == "disk" && mode == "off") GTEST_SKIP() << "off mode writes to the host's disk";
  ScratchTree t;
  fs::permissions(t.root(), fs::perms::all);
  const std::string marker = absl::StrCat("hostile-", attack, "-", mode, "-", ::getpid());
  t.Mkdir("tmp");
  fs::permissions(t / "tmp", fs::perms::all);
  const std::string targets = absl::StrCat("host_tmp=", (t / "tmp").string(), "\n");
  t.Write("a/data.hostile", "old\n" + targets);
  t.Write("b/data.hostile", "new\n" + targets);
  // A trusted plugin compared first, warm while the hostile one runs: a victim to reach.
  t.Write("a/a.victim", "old\n");
  t.Write("b/a.victim", "new\n");
  const fs::path command = t / "plugin/deltascope-hostile-plugin";
  fs::create_directories(command.parent_path());
  fs::copy_file(BinPath("deltascope-hostile-plugin"), command);
  const auto manifest = [&](const std::string& name, const std::string& what,
                            const std::string& extra) {
    return absl::StrCat("name: ", name, "\nversion: 1.0\nprotocol: 1\ncommand: ", command.string(),
                        "\nenv: {HOSTILE_ATTACK: ", what, ", HOSTILE_NAME: ", name,
                        ", HOSTILE_MARKER: ", marker, "}\ncomparators:\n  - name: ", name,
                        "\n    extensions: [.", name, "]\n", extra);
  };
  t.Write("plugins/victim.plugin.yaml",
          manifest("victim", "none", "sandbox: off\nlimits: {max_instances: 1}\n"));
  t.Write("plugins/hostile.plugin.yaml",
          manifest("hostile", attack,
                   absl::StrCat("sandbox: ", mode, "\n",
                                "limits: {call_timeout: 60s, max_instances: 1, "
                                "memory: 512M, processes: 8}\n")));

  std::vector<std::string> argv = {BinPath("deltascope"),
                                   "diff",
                                   (t / "a").string(),
                                   (t / "b").string(),
                                   "--format",
                                   "json",
                                   "--plugin-dir",
                                   (t / "plugins").string(),
                                   "--jobs",
                                   "1"};
  RunOptions options;
  options.as_nobody = unprivileged;
  options.cwd = "/";
  options.extra_env = {absl::StrCat("TMPDIR=", (t / "tmp").string())};
  ProcessResult r;
  if (attack == "tty") {
    // Under a terminal of its own, as a user at a shell would run it (script(1) from util-linux).
    const fs::path out = t / "tmp/out.json";
    r = RunProcess({"/usr/bin/script", "-qec",
                    absl::StrCat(absl::StrJoin(argv, " "), " >", out.string()), "/dev/null"},
                   options);
    r.out = ReadFile(out);
  } else {
    argv.erase(argv.begin());
    r = RunDeltascope(argv, options);
  }
  ASSERT_EQ(r.signal, 0) << r.err;
  ASSERT_EQ(r.exit_code, 1) << r.err << r.out;
  const std::string summary = HostileSummary(Json::parse(r.out));
  ASSERT_FALSE(summary.empty()) << r.out;
  SCOPED_TRACE(summary);

  if (attack == "peer") {
    if (mode == "off") {
      // The control: unsandboxed, the victim's socket is there to connect to.
      int connected = 0;
      ASSERT_TRUE(
          absl::SimpleAtoi(summary.substr(summary.find(", ") + 2,
                                          summary.find(" connected") - summary.find(", ") - 2),
                           &connected));
      EXPECT_GE(connected, 1);
    } else {
      EXPECT_TRUE(absl::StrContains(summary, "0 sockets, 0 connected"));
    }
  }
  if (attack == "disk") {
    EXPECT_EQ(MibWritten(summary, "/"), 0);
    EXPECT_EQ(MibWritten(summary, "/dev"), 0);
    EXPECT_EQ(MibWritten(summary, "."), 0);
    EXPECT_LE(MibWritten(summary, "/dev/shm"), 64);
    EXPECT_LE(MibWritten(summary, "/tmp"), 512);  // the socket's folder: the private /tmp
  }
  if (attack == "tty") {
    EXPECT_TRUE(absl::StartsWith(summary, "tty: tty ENXIO")) << "the plugin has the terminal";
    EXPECT_FALSE(absl::StrContains(summary, "is a tty"));
  }
  if (attack == "escape") {
    EXPECT_EQ(summary, "escape: started");
  }
  // Nothing the plugins started outlives the run, whatever it did to its environment.
  EXPECT_EQ(ProcessesWithEnv(marker), std::vector<int>{});
  // Nothing is left in the host's temporary folder.
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(t / "tmp")) {
    if (e.path().filename() != "out.json") left.push_back(e.path().filename().string());
  }
  EXPECT_EQ(left, std::vector<std::string>{});
}

// A plugin tree: one off-mode and one sandboxed copy of the hostile plugin, each answering for
// its own extension without attacking.
void WriteQuietPlugins(const ScratchTree& t) {
  const fs::path command = t / "plugin/deltascope-hostile-plugin";
  fs::create_directories(command.parent_path());
  fs::copy_file(BinPath("deltascope-hostile-plugin"), command);
  for (const char* name : {"trusted", "boxed"}) {
    t.Write(absl::StrCat("plugins/", name, ".plugin.yaml"),
            absl::StrCat("name: ", name, "\nversion: 1.0\nprotocol: 1\ncommand: ", command.string(),
                         "\nenv: {HOSTILE_ATTACK: none, HOSTILE_NAME: ", name,
                         "}\ncomparators:\n  - name: ", name, "\n    extensions: [.", name, "]\n",
                         std::string(name) == "trusted" ? "sandbox: off\n" : ""));
    for (const char* side : {"a", "b"}) t.Write(absl::StrCat(side, "/x.", name), side);
  }
}

// Both plugins answered (the hostile plugin's "unknown attack" summary) and nothing fell back.
void ExpectBothPluginsAnswered(const ProcessResult& r) {
  ASSERT_EQ(r.exit_code, 1) << r.err << r.out;
  const Json cs = Json::parse(r.out);
  EXPECT_FALSE(cs.contains("diagnostics")) << r.out;
  for (const Json& child : cs["root"]["children"]) {
    EXPECT_TRUE(absl::StrContains(std::string(child["summary"]), "unknown attack")) << r.out;
  }
}

TEST(RuntimeFolderTest, PluginsWorkWhateverCharactersTmpdirHas) {
  // '#' and '?' end a gRPC address: the socket of an unsandboxed plugin must not live there.
  ScratchTree t;
  WriteQuietPlugins(t);
  t.Mkdir("odd#dir?x");
  const fs::path tmp = t / "odd#dir?x";
  ProcessResult r =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format", "json",
                     "--plugin-dir", (t / "plugins").string()},
                    {.cwd = {}, .extra_env = {absl::StrCat("TMPDIR=", tmp.string())}});
  ExpectBothPluginsAnswered(r);
}

TEST(RuntimeFolderTest, NextRunRemovesTheFoldersOfKilledHostsOnly) {
  ScratchTree t;
  WriteQuietPlugins(t);
  t.Mkdir("tmp");
  const fs::path tmp = t / "tmp";
  // A killed host's folder (nobody holds its lock) and a live one's (this test holds it), both
  // old enough; and one created a moment ago (maybe not locked yet by its owner).
  const fs::path dead = tmp / "deltascope-plugins-dead00", live = tmp / "deltascope-plugins-live00",
                 young = tmp / "deltascope-plugins-young0";
  for (const fs::path& dir : {dead, live, young}) {
    fs::create_directories(dir);
    std::ofstream(dir / "x-0.sock") << "stale";
  }
  const auto old = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(dead, old);
  fs::last_write_time(live, old);
  const int lock = ::open(live.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_EQ(::flock(lock, LOCK_EX), 0);
  ProcessResult r =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format", "json",
                     "--plugin-dir", (t / "plugins").string()},
                    {.cwd = {}, .extra_env = {absl::StrCat("TMPDIR=", tmp.string())}});
  ::close(lock);
  ExpectBothPluginsAnswered(r);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live / "x-0.sock"));
  EXPECT_TRUE(fs::exists(young / "x-0.sock"));
}

TEST(IsolationControlTest, ScriptGivesATerminal) {
  // The control for the tty attack: under script(1), a process does have a terminal.
  ProcessResult r = RunProcess(
      {"/usr/bin/script", "-qec", "/bin/sh -c 'exec 3<>/dev/tty && echo tty-ok'", "/dev/null"});
  EXPECT_TRUE(absl::StrContains(r.out, "tty-ok")) << r.out << r.err;
}

INSTANTIATE_TEST_SUITE_P(Matrix, IsolationTest,
                         ::testing::Combine(::testing::Values("peer", "disk", "tty", "escape"),
                                            ::testing::Values("off", "standard", "strict"),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return absl::StrCat(std::get<0>(info.param), "_",
                                               std::get<1>(info.param),
                                               std::get<2>(info.param) ? "_unprivileged" : "");
                         });

}  // namespace
}  // namespace deltascope::testing
