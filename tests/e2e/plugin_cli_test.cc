// `deltascope plugins register/unregister/list/inspect` and discovery through the environment:
// a registered copy keeps working from the user folder, and diff picks it up without flags.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

class PluginCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The command is relative to the manifest's folder, as users write it.
    std::filesystem::path exe = BinPath("deltascope-test-plugin");
    std::string relative = std::filesystem::relative(exe, t_ / "src").string();
    t_.Write("src/bad.plugin.yaml",
             absl::StrCat("name: bad-reg\nversion: 2.5\ncommand: ", relative,
                          "\nenv: {BAD_MODE: ok}\ncomparators:\n  - name: bad\n"
                          "    extensions: [.bad]\nsandbox: off\n"));
    t_.Write("a/data.bad", "one\n");
    t_.Write("b/data.bad", "two\n");
    // Only the test's folders: the user plugins of the machine stay out (the children inherit
    // this environment; appending to it would not override a variable already set).
    SetEnv("XDG_CONFIG_HOME", (t_ / "xdg").string());
    SetEnv("DELTASCOPE_PLUGIN_PATH", "");
  }

  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

  void SetEnv(const std::string& name, const std::string& value) {
    if (!saved_.count(name)) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    ::setenv(name.c_str(), value.c_str(), 1);
  }

  ProcessResult Run(const std::vector<std::string>& args) { return RunDeltascope(args); }

  ScratchTree t_;
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST_F(PluginCliTest, RegisterListInspectDiffUnregister) {
  const std::string registered = (t_ / "xdg/deltascope/plugins.d/bad-reg.plugin.yaml").string();
  ProcessResult reg = Run({"plugins", "register", (t_ / "src/bad.plugin.yaml").string()});
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  EXPECT_EQ(reg.out, absl::StrCat("registered bad-reg 2.5 in ", registered, "\n"));
  // The copy names the executable absolutely: it resolves from the user folder.
  EXPECT_NE(ReadFile(registered).find(absl::StrCat("command: ", BinPath("deltascope-test-plugin"))),
            std::string::npos)
      << ReadFile(registered);

  ProcessResult list = Run({"plugins", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("bad-reg 2.5 [available]"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(absl::StrCat("from: ", registered)), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("claims: bad (.bad)"), std::string::npos) << list.out;

  ProcessResult inspect = Run({"plugins", "inspect", "bad-reg"});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("state: available"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("position: default (before text)"), std::string::npos) << inspect.out;

  ProcessResult check = Run({"plugins", "check", "bad-reg"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("ok   bad-reg 2.5: comparator bad: start "), std::string::npos)
      << check.out;

  ProcessResult diff = Run({"diff", (t_ / "a").string(), (t_ / "b").string(), "--format", "json"});
  EXPECT_EQ(diff.exit_code, 1) << diff.err;
  EXPECT_NE(diff.out.find("\"summary\": \"plugin ok\""), std::string::npos) << diff.out;

  ProcessResult unreg = Run({"plugins", "unregister", "bad-reg"});
  EXPECT_EQ(unreg.exit_code, 0) << unreg.err;
  EXPECT_FALSE(std::filesystem::exists(registered));
  EXPECT_EQ(Run({"plugins", "inspect", "bad-reg"}).exit_code, 2);
  ProcessResult again = Run({"plugins", "unregister", "bad-reg"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("no registered plugin named 'bad-reg'"), std::string::npos) << again.err;
}

// `plugins check` reads like a diff: the probe files are visible to a plugin in the default
// sandbox and streamed in strict mode, so a plugin that reads its input passes both.
TEST_F(PluginCliTest, CheckPassesAReadingPluginInEverySandboxMode) {
  const std::string dir = std::string(DELTASCOPE_SOURCE_DIR) + "/examples/plugins/ini-cpp";
  for (const char* mode : {"standard", "strict", "off"}) {
    ProcessResult r = Run({"plugins", "check", "ini-cpp", "--plugin-dir", dir, "--sandbox", mode});
    EXPECT_EQ(r.exit_code, 0) << mode << ": " << r.out << r.err;
    EXPECT_NE(r.out.find("ok   ini-cpp 0.1.0: comparator ini:"), std::string::npos) << r.out;
  }
  // inspect names what the sandbox shows: the executable's folder and its bin/ prefix.
  ProcessResult inspect = Run({"plugins", "inspect", "ini-cpp", "--plugin-dir", dir});
  // (The manifest names the normal build's binary, whichever build runs this test.)
  const size_t command_at = inspect.out.find("command: ");
  ASSERT_NE(command_at, std::string::npos) << inspect.out;
  const std::filesystem::path bin = inspect.out.substr(
      command_at + 9, inspect.out.find_first_of(" \n", command_at + 9) - command_at - 9);
  EXPECT_NE(inspect.out.find(absl::StrCat("reads (standard sandbox): ", bin.parent_path().string(),
                                          ", ", bin.parent_path().parent_path().string(), ",")),
            std::string::npos)
      << inspect.out;
}

// A manifest's `sandbox: off` (or trusted: true) stands when the user chose nothing; a mode the
// user names is a floor no manifest can loosen, while a stricter manifest still wins.
TEST_F(PluginCliTest, ManifestCannotLoosenTheSandboxTheUserChose) {
  const auto mode_of = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"plugins", "inspect", "bad-reg", "--plugin-dir",
                                     (t_ / "src").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Run(args);
    const size_t at = r.out.find("resources (");
    return at == std::string::npos ? r.out + r.err
                                   : r.out.substr(at + 11, r.out.find(')', at) - at - 11);
  };
  EXPECT_EQ(mode_of({}), "off");  // the manifest says off
  EXPECT_EQ(mode_of({"--sandbox", "strict"}), "strict");
  EXPECT_EQ(mode_of({"--sandbox", "standard"}), "standard");
  EXPECT_EQ(mode_of({"--sandbox", "off"}), "off");
  SetEnv("DELTASCOPE_SANDBOX", "strict");
  EXPECT_EQ(mode_of({}), "strict");
  t_.Write("src/bad.plugin.yaml",
           absl::StrCat("name: bad-reg\nversion: 2.5\ncommand: ", BinPath("deltascope-test-plugin"),
                        "\ncomparators:\n  - name: bad\nsandbox: strict\n"));
  EXPECT_EQ(mode_of({"--sandbox", "standard"}), "strict");  // stricter manifest
}

// An interpreted plugin named as `command: <interpreter>` with `args: [script]`: the script is
// relative to the manifest's folder, the plugin's working directory, shown by the sandbox; a
// registered copy keeps that folder as its `root`.
TEST_F(PluginCliTest, ScriptArgumentIsRelativeToTheManifestSandboxedAndRegistered) {
  const std::string python = std::string(DELTASCOPE_SOURCE_DIR) + "/.venv/bin/python";
  ASSERT_TRUE(std::filesystem::exists(python)) << "run scripts/install-deps.sh";
  t_.Write("tally/tally.py",
           "from deltascope_plugin import Comparator, changed, serve\n"
           "class Tally(Comparator):\n"
           "    name = 'tally'\n"
           "    extensions = ['.tally']\n"
           "    def compare(self, left, right, ctx):\n"
           "        return changed('tally read ' + open(right.path).read().strip(),\n"
           "                       item_type='tally', tags=['value-change'])\n"
           "raise SystemExit(serve(Tally(), name='tally', version='1.0'))\n");
  t_.Write("tally/tally.plugin.yaml",
           absl::StrCat("name: tally\nversion: 1.0\ncommand: ", python,
                        "\nargs: [tally.py]\ncomparators:\n  - name: tally\n"
                        "    extensions: [.tally]\nlimits: {startup_timeout: 20s}\n",
                        // The project's venv holds the SDK as an editable install: its sources
                        // live outside the venv, so the sandbox must be told.
                        "sandbox: {read_only: [", DELTASCOPE_SOURCE_DIR, "/plugin-sdk-python]}\n"));
  t_.Write("a/n.tally", "1\n");
  t_.Write("b/n.tally", "2\n");
  const std::vector<std::string> diff = {"diff", (t_ / "a").string(), (t_ / "b").string()};
  for (const char* mode : {"standard", "strict", "off"}) {
    std::vector<std::string> args = diff;
    args.insert(args.end(), {"--plugin-dir", (t_ / "tally").string(), "--sandbox", mode});
    ProcessResult r = Run(args);
    EXPECT_NE(r.out.find("- **n.tally**: tally read 2"), std::string::npos)
        << mode << ": " << r.out << r.err;
  }
  ProcessResult reg = Run({"plugins", "register", (t_ / "tally/tally.plugin.yaml").string()});
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  ProcessResult r = Run(diff);  // found in the user folder, started from the original one
  EXPECT_NE(r.out.find("- **n.tally**: tally read 2"), std::string::npos) << r.out << r.err;
}

TEST_F(PluginCliTest, RegisterRefusesAManifestWhoseCommandIsMissing) {
  t_.Write("src/gone.plugin.yaml",
           "name: gone\nversion: 1\ncommand: ./nothing-here\ncomparators:\n  - name: g\n");
  ProcessResult reg = Run({"plugins", "register", (t_ / "src/gone.plugin.yaml").string()});
  EXPECT_EQ(reg.exit_code, 2);
  EXPECT_NE(reg.err.find("is missing or not executable"), std::string::npos) << reg.err;
  EXPECT_FALSE(std::filesystem::exists(t_ / "xdg/deltascope/plugins.d/gone.plugin.yaml"));
}

TEST_F(PluginCliTest, PluginPathFromTheEnvironmentAndNoPlugins) {
  SetEnv("DELTASCOPE_PLUGIN_PATH", absl::StrCat("/nonexistent:", (t_ / "src").string()));
  ProcessResult list = Run({"plugins", "list"});
  EXPECT_NE(list.out.find("bad-reg 2.5 [available]"), std::string::npos) << list.out;

  ProcessResult with = Run({"diff", (t_ / "a").string(), (t_ / "b").string(), "--format", "json"});
  EXPECT_NE(with.out.find("\"comparator\": \"bad\""), std::string::npos) << with.out;
  ProcessResult without =
      Run({"diff", (t_ / "a").string(), (t_ / "b").string(), "--format", "json", "--no-plugins"});
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_EQ(without.out.find("\"comparator\": \"bad\""), std::string::npos) << without.out;
}

// `plugins list` says at once that a plugin cannot start, with the reason, and prints no
// trailing spaces.
TEST_F(PluginCliTest, ListShowsAMissingExecutableAsBroken) {
  t_.Write("src/gone.plugin.yaml",
           "name: gone\nversion: 1\ncommand: ./nothing-here\ncomparators:\n  - name: g\n");
  ProcessResult list = Run({"plugins", "list", "--plugin-dir", (t_ / "src").string()});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(absl::StrCat("gone 1 [broken] - executable ", (t_ / "src").string(),
                                       "/nothing-here is missing or not executable\n")),
            std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("bad-reg 2.5 [available]\n"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find(" \n"), std::string::npos) << list.out;
}

// inspect prints the mode the plugin runs in and why, and sizes a person can read.
TEST_F(PluginCliTest, InspectPrintsTheEffectiveSandboxAndReadableSizes) {
  const auto inspect = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"plugins", "inspect", "bad-reg", "--plugin-dir",
                                     (t_ / "src").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args).out;
  };
  EXPECT_NE(inspect({}).find("sandbox: off (manifest)\n"), std::string::npos) << inspect({});
  const std::string strict = inspect({"--sandbox", "strict"});
  EXPECT_NE(strict.find("sandbox: strict (--sandbox)\n"), std::string::npos) << strict;
#ifndef DELTASCOPE_SANITIZED  // sanitizer builds lift the default address-space limit
  EXPECT_NE(strict.find("memory 4 GiB"), std::string::npos) << strict;
#endif
  EXPECT_NE(strict.find("file size 1 GiB"), std::string::npos) << strict;
  t_.Write("src/bad.plugin.yaml",
           absl::StrCat("name: bad-reg\nversion: 2.5\ncommand: ", BinPath("deltascope-test-plugin"),
                        "\ncomparators:\n  - name: bad\nlimits: {memory: 512MiB}\n"));
  const std::string standard = inspect({});
  EXPECT_NE(standard.find("sandbox: standard (host default)\n"), std::string::npos) << standard;
  EXPECT_NE(standard.find("memory 512 MiB,"), std::string::npos) << standard;
}

TEST_F(PluginCliTest, SandboxReportWithTheSandboxOffListsNoLayerAsActive) {
  ProcessResult r = Run({"plugins", "check", "bad-reg", "--plugin-dir", (t_ / "src").string(),
                         "--sandbox-report", "--sandbox", "off"});
  EXPECT_NE(r.out.find("sandbox layers (mode off):"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unused"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("active"), std::string::npos) << r.out;
}

TEST_F(PluginCliTest, RegisterRefusesToReplaceWithoutForce) {
  const std::string manifest = (t_ / "src/bad.plugin.yaml").string();
  const std::filesystem::path registered = t_ / "xdg/deltascope/plugins.d/bad-reg.plugin.yaml";
  ASSERT_EQ(Run({"plugins", "register", manifest}).exit_code, 0);
  t_.Write("src/bad.plugin.yaml",
           absl::StrCat("name: bad-reg\nversion: 3.0\ncommand: ", BinPath("deltascope-test-plugin"),
                        "\ncomparators:\n  - name: bad\n"));
  ProcessResult again = Run({"plugins", "register", manifest});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already registered"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_NE(ReadFile(registered).find("version: 2.5"), std::string::npos);
  ProcessResult forced = Run({"plugins", "register", manifest, "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(ReadFile(registered).find("version: 3.0"), std::string::npos);
}

}  // namespace
}  // namespace deltascope::testing
