// Edge cases of issue 18 that concern the whole run: exit statuses of fatal trouble, trees
// deeper than any path (damaged archives: the golden vector archive-zip-truncated). Every case runs
// the real binary.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/changeset_json.h"
#include "tests/support/checked_run.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

// 4,000 levels (a path of 8,000 bytes, twice PATH_MAX): walked relative to open folders, so the
// change at the bottom is found, in JSON and in Markdown, with no "File name too long".
TEST(EdgeCasesTest, FourThousandLevelsDeepFindsTheDeepestChange) {
  ScratchTree t;
#ifdef DELTASCOPE_SANITIZED
  // ASan's frames are several times larger: the deltascope this test starts inherits a main
  // thread stack big enough for what 8 MiB holds in a normal build.
  struct rlimit stack;
  ASSERT_EQ(::getrlimit(RLIMIT_STACK, &stack), 0);
  if (stack.rlim_cur != RLIM_INFINITY && stack.rlim_cur < (64u << 20)) {
    stack.rlim_cur = std::min<rlim_t>(64u << 20, stack.rlim_max);
    ASSERT_EQ(::setrlimit(RLIMIT_STACK, &stack), 0);
  }
#endif
  constexpr int kLevels = 4000;
  const std::string leaf = MakeDeep(t, "a", "d", kLevels, "old\n");
  MakeDeep(t, "b", "d", kLevels, "new\n");
  ProcessResult raw;
  Json cs = DiffJson(t, 1, {}, {}, &raw);
  ExpectReported(cs, {leaf});
  EXPECT_FALSE(absl::StrContains(raw.out, "File name too long")) << raw.out.substr(0, 2000);
  ProcessResult md = RunChecked({"diff", (t / "a").string(), (t / "b").string()});
  EXPECT_EQ(md.exit_code, 1) << md.err;
  EXPECT_TRUE(absl::StrContains(md.out, "leaf.txt")) << md.out.substr(0, 2000);
  EXPECT_FALSE(absl::StrContains(md.out, "No changes detected.")) << md.out.substr(0, 2000);
}

// A snapshot root that cannot be read is fatal: one error line, exit 2, nothing on stdout.
TEST(EdgeCasesTest, FatalTroubleIsTheErrorAloneWithExitTwo) {
  ScratchTree t;
  t.Write("a/x.txt", "1\n");
  ProcessResult r =
      RunChecked({"diff", (t / "a").string(), (t / "missing").string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  ExpectErrorLine(r.err, "No such file or directory");
}

// Command-line mistakes are one clear error line and exit 2; an excessive --jobs is capped.
TEST(EdgeCasesTest, JobsOutputFormatAndChangesetAreChecked) {
  ScratchTree t;
  t.Write("a/x.txt", "1\n");
  t.Write("b/x.txt", "2\n");
  const std::string a = (t / "a").string(), b = (t / "b").string();
  for (const char* jobs : {"0", "-1"}) {
    ProcessResult r = RunChecked({"diff", a, b, "--jobs", jobs});
    EXPECT_EQ(r.exit_code, 2) << jobs;
    EXPECT_EQ(r.out, "");
    ExpectErrorLine(r.err, "--jobs must be at least 1");
  }
  ProcessResult capped = RunChecked({"diff", a, b, "--jobs", "100000"});
  EXPECT_EQ(capped.exit_code, 1) << capped.err;
  ExpectErrorLine(capped.err, "--jobs 100000 capped at ");
  EXPECT_TRUE(absl::StrContains(capped.out, "x.txt")) << capped.out;

  ProcessResult xml = RunChecked({"diff", a, b, "-o", (t / "out.xml").string().insert(0, "xml:")});
  EXPECT_EQ(xml.exit_code, 2);
  ExpectErrorLine(xml.err, "unknown output format 'xml'");
  EXPECT_FALSE(std::filesystem::exists(t / "out.xml"));

  ProcessResult json = RunChecked({"diff", a, b, "-o", (t / "cs.json").string()});
  ASSERT_EQ(json.exit_code, 1) << json.err;
  std::string text = ReadFile(t / "cs.json");
  const size_t at = text.find("\"modify\"");
  ASSERT_NE(at, std::string::npos) << text;
  t.Write("bad.json", text.replace(at, 8, "\"explode\""));
  ProcessResult changelog = RunChecked({"changelog", (t / "bad.json").string()});
  EXPECT_EQ(changelog.exit_code, 2);
  EXPECT_EQ(changelog.out, "");
  ExpectErrorLine(changelog.err, "$.root.action: unknown action 'explode'");
}

// Ctrl-C (SIGINT) or SIGTERM mid-diff, while a plugin call hangs: the plugin is killed, the
// scratch folders (extracted archives included) are removed, and the status is 130 or 143.
class InterruptTest : public ::testing::TestWithParam<int> {};

TEST_P(InterruptTest, KillsPluginsRemovesTempFoldersAndExitsWithTheSignalStatus) {
  ScratchTree t;
  const std::string marker = absl::StrCat("interrupt-marker-", GetParam(), "-", ::getpid());
  t.Write("plugins/hang.plugin.yaml", TestPluginManifest("hang", marker));
  t.Write("a/data.bad", "one\n");
  t.Write("b/data.bad", "two\n");
  t.Mkdir("tmp");
  RunOptions options;
  options.extra_env = {absl::StrCat("TMPDIR=", (t / "tmp").string())};
  BackgroundProcess host({BinPath("deltascope"), "diff", (t / "a").string(), (t / "b").string(),
                          "--plugin-dir", (t / "plugins").string()},
                         options);
  // The plugin starts at its first call, once the scratch folder exists; the call then hangs.
  WaitUntil([&] { return !ProcessesWithEnv(marker).empty(); });
  ASSERT_FALSE(ProcessesWithEnv(marker).empty()) << host.Stderr();
  EXPECT_FALSE(std::filesystem::is_empty(t / "tmp"));
  host.Signal(GetParam());
  EXPECT_EQ(host.Wait(10), 128 + GetParam()) << host.Stderr();
  EXPECT_TRUE(ProcessesWithEnv(marker).empty());
  for (const auto& left : std::filesystem::directory_iterator(t / "tmp")) {
    ADD_FAILURE() << "left behind: " << left.path();
  }
  EXPECT_FALSE(absl::StrContains(host.Stdout(), "No changes detected."));
}

INSTANTIATE_TEST_SUITE_P(Signals, InterruptTest, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(sigabbrev_np(info.param));
                         });

}  // namespace
}  // namespace deltascope::testing
