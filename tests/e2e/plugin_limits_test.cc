// The user's plugin limits are a ceiling no manifest can raise: a real plugin
// (tests/plugins/hostile/, attack "limits") reports the resource limits it runs under, its
// manifest asking for more than the user's --plugin-limits (or DELTASCOPE_PLUGIN_LIMITS, or the
// config's plugins.limits); a spinning plugin whose manifest allows it ten minutes is stopped at
// the user's call_timeout; bad values are one clean error.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

// A tree with one changed .hostile item and the hostile plugin doing `attack`, its manifest
// asking for far more than any test's ceiling.
void WritePlugin(const ScratchTree& t, const std::string& attack) {
  t.Write("a/data.hostile", "old\n");
  t.Write("b/data.hostile", "new\n");
  t.Write("plugins/hostile.plugin.yaml",
          absl::StrCat("name: hostile\nversion: 1.0\nprotocol: 1\ncommand: ",
                       BinPath("deltascope-hostile-plugin"), "\nenv: {HOSTILE_ATTACK: ", attack,
                       "}\ncomparators:\n  - name: hostile\n    extensions: [.hostile]\n",
                       "limits: {call_timeout: 10m, max_instances: 4, memory: 8GiB, ",
                       "open_files: 4096, file_size: 4GiB, cpu: 1h}\n"));
}

std::vector<std::string> DiffArgs(const ScratchTree& t, const std::string& sandbox) {
  return {"diff", (t / "a").string(), (t / "b").string(),       "--format",  "json", "--jobs",
          "1",    "--plugin-dir",     (t / "plugins").string(), "--sandbox", sandbox};
}

// The item's summary, after checking the hostile plugin answered it.
std::string HostileSummary(const ProcessResult& r) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  Json cs = Json::parse(r.out, nullptr, false);
  if (cs.is_discarded() || !cs.contains("root")) return "(no changeset) " + r.out + r.err;
  for (const Json& child : cs["root"]["children"]) {
    if (child["path"] == "data.hostile") {
      EXPECT_EQ(child["comparator"], "hostile") << r.out;
      return child.value("summary", "");
    }
  }
  return "(no item) " + r.out;
}

class CeilingTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CeilingTest, AManifestAskingForMoreGetsTheUsersCeiling) {
  ScratchTree t;
  WritePlugin(t, "limits");
  // The control: without a ceiling the plugin gets what its manifest asks for.
  const std::string asked = HostileSummary(RunDeltascope(DiffArgs(t, GetParam())));
  EXPECT_TRUE(absl::StrContains(asked, "cpu=3600 nofile=4096 fsize=4294967296")) << asked;

  std::vector<std::string> args = DiffArgs(t, GetParam());
  args.insert(args.end(),
              {"--plugin-limits", "memory=1GiB,open_files=256,file_size=64MiB,cpu=10m"});
  const std::string capped = HostileSummary(RunDeltascope(args));
  EXPECT_TRUE(absl::StrContains(capped, "cpu=600 nofile=256 fsize=67108864")) << capped;
#ifndef DELTASCOPE_SANITIZED  // sanitizer builds cannot set RLIMIT_AS
  EXPECT_TRUE(absl::StrContains(asked, "as=8589934592 ")) << asked;
  EXPECT_TRUE(absl::StrContains(capped, "as=1073741824 ")) << capped;
#endif
}

TEST_P(CeilingTest, EnvironmentAndConfigSetTheCeilingTooTheCommandLineWins) {
  ScratchTree t;
  WritePlugin(t, "limits");
  t.Write("config.yaml", "plugins:\n  limits: {open_files: 128, file_size: 1MiB}\n");
  std::vector<std::string> args = DiffArgs(t, GetParam());
  args.insert(args.end(),
              {"--config", (t / "config.yaml").string(), "--plugin-limits", "open_files=200"});
  const std::string summary = HostileSummary(
      RunDeltascope(args, {.cwd = {}, .extra_env = {"DELTASCOPE_PLUGIN_LIMITS=cpu=2m"}}));
  // cpu from the environment, file_size from the config, open_files from the command line.
  EXPECT_TRUE(absl::StrContains(summary, "cpu=120 nofile=200 fsize=1048576")) << summary;
}

TEST_P(CeilingTest, TheUsersCallTimeoutStopsAPluginItsManifestAllowsTenMinutes) {
  ScratchTree t;
  WritePlugin(t, "cpu");  // spins until killed
  std::vector<std::string> args = DiffArgs(t, GetParam());
  args.insert(args.end(), {"--plugin-limits", "call_timeout=1s"});
  ProcessResult r = RunDeltascope(args);
  ASSERT_EQ(r.exit_code, 1) << r.err;
  Json cs = Json::parse(r.out);
  ASSERT_TRUE(cs.contains("diagnostics")) << r.out;
  EXPECT_EQ(cs["diagnostics"][0]["code"], "plugin-timeout");
  EXPECT_TRUE(absl::StrContains(cs["diagnostics"][0]["message"].get<std::string>(), "after 1"))
      << r.out;
}

INSTANTIATE_TEST_SUITE_P(Sandboxes, CeilingTest, ::testing::Values("standard", "strict"));

TEST(PluginLimitsCliTest, BadValuesAreOneCleanErrorNamingTheKeyAndTheSource) {
  ScratchTree t;
  WritePlugin(t, "limits");
  ProcessResult bad = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--plugin-dir",
                                     (t / "plugins").string(), "--plugin-limits", "memory=lots"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.out, "");
  EXPECT_EQ(bad.err,
            "deltascope: --plugin-limits: memory: 'lots' is not a size like 512MiB, 1GiB or "
            "4096\n");

  ProcessResult unknown = RunDeltascope({"plugins", "check", "--plugin-dir",
                                         (t / "plugins").string(), "--plugin-limits", "memry=1G"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(unknown.err, "deltascope: --plugin-limits: unknown limit 'memry'"))
      << unknown.err;

  ProcessResult env =
      RunDeltascope({"plugins", "list", "--plugin-dir", (t / "plugins").string()},
                    {.cwd = {}, .extra_env = {"DELTASCOPE_PLUGIN_LIMITS=call_timeout=never"}});
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(env.err, "deltascope: DELTASCOPE_PLUGIN_LIMITS: call_timeout:"))
      << env.err;

  t.Write("config.yaml", "plugins:\n  limits:\n    processes: many\n");
  ProcessResult config = RunDeltascope(
      {"diff", (t / "a").string(), (t / "b").string(), "--config", (t / "config.yaml").string()});
  EXPECT_EQ(config.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(config.err, "config.yaml:3: plugins.limits: processes must be"))
      << config.err;
}

TEST(PluginLimitsCliTest, InspectShowsTheEffectiveLimitsAndWhatTheCeilingLowered) {
  ScratchTree t;
  WritePlugin(t, "limits");
  ProcessResult r =
      RunDeltascope({"plugins", "inspect", "hostile", "--plugin-dir", (t / "plugins").string(),
                     "--plugin-limits", "call_timeout=30s,open_files=100,reply_nodes=50"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "call 30000 ms")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "open files 100")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "50 nodes")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out,
                                "lowered by your ceiling (--plugin-limits): call_timeout, "
                                "open_files"))
      << r.out;
}

TEST(PluginLimitsCliTest, DaemonDiffRefusesPluginLimits) {
  ScratchTree t;
  WritePlugin(t, "limits");
  ProcessResult r = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--daemon",
                                   "unix:///nonexistent.sock", "--plugin-limits", "memory=1GiB"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(r.err, "deltascope: --plugin-limits does not apply with --daemon"))
      << r.err;
}

TEST(PluginLimitsDaemonTest, TheOperatorsCeilingFromTheDaemonsConfigApplies) {
  ScratchTree t;
  WritePlugin(t, "limits");
  t.Write("daemon.yaml", "plugins:\n  limits: {open_files: 200, file_size: 2MiB}\n");
  TestDaemon daemon(t / "d.sock", {"--plugin-dir", (t / "plugins").string(), "--allow-root",
                                   t.root().string(), "--config", (t / "daemon.yaml").string(),
                                   "--plugin-limits", "file_size=1MiB"});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  const std::string summary =
      HostileSummary(RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format",
                                    "json", "--daemon", daemon.target()}));
  EXPECT_TRUE(absl::StrContains(summary, "nofile=200 fsize=1048576")) << summary;
}

}  // namespace
}  // namespace deltascope::testing
