// Interrupting deltascope mid-call: the plugin and a grandchild that escaped its process group
// (double fork + setsid, so neither the group kill nor PR_SET_PDEATHSIG reaches it) are killed.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

struct Found {
  int live = 0;     // non-zombie processes carrying the marker
  int escaped = 0;  // of which in a session of their own (the setsid grandchild's child)
};

Found ProcessesWith(const std::string& marker) {
  Found found;
  DIR* proc = ::opendir("/proc");
  while (struct dirent* e = ::readdir(proc)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    if (ReadFile(absl::StrCat("/proc/", pid, "/environ")).find(marker) == std::string::npos) {
      continue;
    }
    // "pid (comm) state ppid pgrp session ...": comm may hold spaces, so split after ')'.
    std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    std::vector<std::string> fields = absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
    if (fields.size() < 4 || fields[0] == "Z") continue;
    ++found.live;
    found.escaped += fields[2] == fields[3];  // pgrp == session: it left the host's session
  }
  ::closedir(proc);
  return found;
}

class PluginSignalTest : public ::testing::TestWithParam<int> {};

TEST_P(PluginSignalTest, NothingSurvivesTheHost) {
  ScratchTree t;
  const std::string marker = absl::StrCat("signal-marker-", GetParam(), "-", ::getpid());
  t.Write("plugins/bad.plugin.yaml", TestPluginManifest("grandchild", marker));
  t.Write("a/data.bad", "one\n");
  t.Write("b/data.bad", "two\n");
  BackgroundProcess host({BinPath("deltascope"), "diff", (t / "a").string(), (t / "b").string(),
                          "--plugin-dir", (t / "plugins").string()});
  // The call now hangs on the grandchild (it holds the connection) until the 60 s deadline.
  // Settled: the plugin gone, its intermediate child gone, only the escaped grandchild left
  // (in between, two processes may briefly be in a session of their own).
  ASSERT_TRUE(WaitUntil([&] {
    const Found found = ProcessesWith(marker);
    return found.live == 1 && found.escaped == 1;
  })) << host.Stderr();
  host.Signal(GetParam());
  EXPECT_EQ(host.Wait(10), 128 + GetParam());  // the signal's status, not the 60 s deadline
  WaitUntil([&] { return ProcessesWith(marker).live == 0; });
  EXPECT_EQ(ProcessesWith(marker).live, 0);
}

INSTANTIATE_TEST_SUITE_P(Signals, PluginSignalTest, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(sigabbrev_np(info.param));
                         });

}  // namespace
}  // namespace deltascope::testing
