// Signed plugins through the real CLI: keygen, sign, verify, and a diff under --require-signed
// (or the config's plugins.require_signed) with the real INI plugin, then again after tampering
// with its executable or manifest: one line names the file, the built-in comparator still
// describes the change.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

constexpr char kByPlugin[] = "- **c.ini**: 1 value changed";
constexpr char kByBuiltin[] = "- **c.ini**: 1 line added, 1 removed";

class PluginSigningE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A copy of the plugin, so that tampering with it leaves the build alone.
    std::filesystem::create_directories(t_ / "p");
    std::filesystem::copy_file(BinPath("deltascope-plugin-ini"), exe_);
    t_.Write("p/ini.plugin.yaml",
             "name: ini-signed\nversion: 1.0\ncommand: ./deltascope-plugin-ini\nsandbox: off\n"
             "comparators:\n  - name: ini\n    extensions: [.ini]\n    position: {before: text}\n");
    t_.Write("a/c.ini", "[s]\nk=1\n");
    t_.Write("b/c.ini", "[s]\nk=2\n");
    ProcessResult keygen = Run({"plugins", "keygen", (t_ / "alice").string()});
    ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
    ASSERT_EQ(Run({"plugins", "keygen", (t_ / "mallory").string()}).exit_code, 0);
  }

  ProcessResult Run(std::vector<std::string> args) {
    RunOptions options;
    options.extra_env = {"XDG_CONFIG_HOME=" + (t_ / "xdg").string(),
                         "DELTASCOPE_PLUGIN_PATH=", "DELTASCOPE_NO_PYTHON_PLUGINS=1"};
    return RunDeltascope(args, options);
  }

  ProcessResult Sign() {
    return Run({"plugins", "sign", manifest_.string(), "--key", (t_ / "alice.key").string()});
  }

  ProcessResult Diff(const std::string& key = "alice.pub") {
    return Run({"diff", (t_ / "a").string(), (t_ / "b").string(), "--plugin-dir",
                (t_ / "p").string(), "--require-signed", "--trusted-key", (t_ / key).string()});
  }

  // The one line a refused plugin costs, on standard error.
  static std::string Refused(const std::string& reason) {
    return absl::StrCat("deltascope: plugin ini-signed disabled: signature: ", reason, "\n");
  }

  ScratchTree t_;
  std::filesystem::path exe_ = t_ / "p/deltascope-plugin-ini";
  std::filesystem::path manifest_ = t_ / "p/ini.plugin.yaml";
};

TEST_F(PluginSigningE2eTest, SignedPluginRunsUnderThePolicy) {
  ProcessResult unsigned_run = Diff();
  EXPECT_EQ(unsigned_run.exit_code, 1);
  EXPECT_EQ(unsigned_run.err, Refused("not signed (no ini.plugin.sig)"));
  EXPECT_NE(unsigned_run.out.find(kByBuiltin), std::string::npos) << unsigned_run.out;

  ProcessResult sign = Sign();
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  EXPECT_NE(sign.out.find(absl::StrCat("executable ")), std::string::npos) << sign.out;
  EXPECT_TRUE(std::filesystem::exists(t_ / "p/ini.plugin.sig"));
  ProcessResult verify =
      Run({"plugins", "verify", manifest_.string(), "--trusted-key", (t_ / "alice.pub").string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_EQ(verify.out, "ok   ini-signed: signature valid, 2 files unchanged\n");

  ProcessResult diff = Diff();
  EXPECT_EQ(diff.exit_code, 1) << diff.err;
  EXPECT_EQ(diff.err, "");
  EXPECT_NE(diff.out.find(kByPlugin), std::string::npos) << diff.out;

  ProcessResult wrong_key = Diff("mallory.pub");
  EXPECT_NE(wrong_key.err.find("which is not among the trusted keys"), std::string::npos)
      << wrong_key.err;
  EXPECT_NE(wrong_key.out.find(kByBuiltin), std::string::npos) << wrong_key.out;
}

TEST_F(PluginSigningE2eTest, TamperingAfterSigningIsOneLineNamingTheFileAndNothingIsLost) {
  ASSERT_EQ(Sign().exit_code, 0);
  std::ofstream(exe_, std::ios::app) << "appended";
  ProcessResult exe = Diff();
  EXPECT_EQ(exe.exit_code, 1);
  EXPECT_EQ(exe.err,
            Refused(absl::StrCat("executable ", exe_.string(), " changed since it was signed")));
  EXPECT_NE(exe.out.find(kByBuiltin), std::string::npos) << exe.out;
  ProcessResult verify =
      Run({"plugins", "verify", manifest_.string(), "--trusted-key", (t_ / "alice.pub").string()});
  EXPECT_EQ(verify.exit_code, 2);
  EXPECT_EQ(verify.out, absl::StrCat("FAIL ini-signed: executable ", exe_.string(),
                                     " changed since it was signed\n"));

  std::filesystem::remove(exe_);
  std::filesystem::copy_file(BinPath("deltascope-plugin-ini"), exe_);
  ASSERT_EQ(Diff().err, "");  // the original again: the signature holds
  t_.Write("p/ini.plugin.yaml", ReadFile(manifest_) + "env: {INJECTED: 1}\n");
  ProcessResult manifest = Diff();
  EXPECT_EQ(manifest.err,
            Refused(absl::StrCat("manifest ", manifest_.string(), " changed since it was signed")));
  EXPECT_NE(manifest.out.find(kByBuiltin), std::string::npos) << manifest.out;
}

TEST_F(PluginSigningE2eTest, PolicyFromTheConfigWithKeysRelativeToIt) {
  ASSERT_EQ(Sign().exit_code, 0);
  t_.Write("conf/deltascope.yaml",
           "plugins:\n  require_signed: true\n  trusted_keys: [../mallory.pub]\n");
  const std::vector<std::string> diff = {"diff",
                                         (t_ / "a").string(),
                                         (t_ / "b").string(),
                                         "--plugin-dir",
                                         (t_ / "p").string(),
                                         "--config",
                                         (t_ / "conf/deltascope.yaml").string()};
  ProcessResult refused = Run(diff);
  EXPECT_NE(refused.err.find("which is not among the trusted keys"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.out.find(kByBuiltin), std::string::npos) << refused.out;
  t_.Write("conf/deltascope.yaml",
           "plugins:\n  require_signed: true\n  trusted_keys: [../alice.pub]\n");
  ProcessResult used = Run(diff);
  EXPECT_EQ(used.err, "");
  EXPECT_NE(used.out.find(kByPlugin), std::string::npos) << used.out;
}

// The daemon verifies at start-up and reload; an executable swapped afterwards, before the plugin
// first starts, is refused at that start (the verified digest is pinned), and the built-in
// comparator describes the file.
TEST_F(PluginSigningE2eTest, DaemonPinsTheVerifiedExecutable) {
  ASSERT_EQ(Sign().exit_code, 0);
  TestDaemon daemon(t_ / "d.sock", {"--plugin-dir", (t_ / "p").string(), "--require-signed",
                                    "--trusted-key", (t_ / "alice.pub").string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  std::ofstream(exe_, std::ios::app) << "swapped after verification";
  ProcessResult diff =
      Run({"diff", (t_ / "a").string(), (t_ / "b").string(), "--daemon", daemon.target()});
  EXPECT_EQ(diff.exit_code, 1) << diff.err;
  EXPECT_NE(diff.out.find(kByBuiltin), std::string::npos) << diff.out;
  EXPECT_NE(diff.out.find(absl::StrCat("checksum mismatch for ", exe_.string())), std::string::npos)
      << diff.out;
}

}  // namespace
}  // namespace deltascope::testing
