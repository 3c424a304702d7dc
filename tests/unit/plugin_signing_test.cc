// Plugin signatures (daemon/plugin/signing.h) and the host's policy (FindPlugins with
// require_signed): real Ed25519 keys, real files, tampered after signing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "daemon/plugin/host.h"
#include "daemon/plugin/signing.h"
#include "daemon/util/sha256.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using ::deltascope::testing::ReadFile;
using ::deltascope::testing::ScratchTree;

class PluginSigningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.Write("p/run.sh", "#!/bin/sh\nexec python3 \"$@\"\n");
    ::chmod((t_ / "p/run.sh").c_str(), 0755);
    t_.Write("p/plugin.py", "print('hello')\n");
    t_.Write("p/x.plugin.yaml",
             "name: x\nversion: 1.0\ncommand: ./run.sh\nargs: [plugin.py, -u, /dev/null]\n"
             "comparators:\n  - name: x\n    extensions: [.x]\n");
    ASSERT_TRUE(GenerateSigningKey(t_ / "alice").ok());
    ASSERT_TRUE(GenerateSigningKey(t_ / "mallory").ok());
  }

  Manifest Parsed() {
    absl::StatusOr<Manifest> m = ParseManifestFile(t_ / "p/x.plugin.yaml");
    EXPECT_TRUE(m.ok()) << m.status();
    return *m;
  }

  absl::Status Verify(const std::string& key = "alice.pub") {
    return VerifyPlugin(Parsed(), {t_ / key}).status();
  }

  void SignWithAlice() { ASSERT_TRUE(SignPlugin(Parsed(), t_ / "alice.key").ok()); }

  ScratchTree t_;
};

TEST_F(PluginSigningTest, KeygenWritesAPrivateKeyOnlyTheOwnerReadsAndNeverOverwrites) {
  struct stat st;
  ASSERT_EQ(::stat((t_ / "alice.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(ReadFile(t_ / "alice.pub").find("BEGIN PUBLIC KEY"), std::string::npos);
  const std::string before = ReadFile(t_ / "alice.key");
  absl::StatusOr<std::string> again = GenerateSigningKey(t_ / "alice");
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(ReadFile(t_ / "alice.key"), before);
  // The id is the public key's, whichever half is read.
  EXPECT_EQ(*KeyIdOfFile(t_ / "alice.key"), *KeyIdOfFile(t_ / "alice.pub"));
  EXPECT_NE(*KeyIdOfFile(t_ / "alice.pub"), *KeyIdOfFile(t_ / "mallory.pub"));
}

TEST_F(PluginSigningTest, SignatureCoversManifestExecutableAndScripts) {
  EXPECT_EQ(SignatureFileOf(t_ / "p/x.plugin.yaml"), t_ / "p/x.plugin.sig");
  SignWithAlice();
  absl::StatusOr<std::vector<SignedFile>> files = VerifyPlugin(Parsed(), {t_ / "alice.pub"});
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 3u);  // not -u, not /dev/null
  EXPECT_EQ((*files)[0].role, "manifest");
  EXPECT_EQ((*files)[1].role, "executable");
  EXPECT_EQ((*files)[1].sha256, *Sha256OfFile(t_ / "p/run.sh"));
  EXPECT_EQ((*files)[2].role, "script");
  EXPECT_EQ((*files)[2].path, t_ / "p/plugin.py");
}

TEST_F(PluginSigningTest, EachTamperingNamesTheFileThatChanged) {
  SignWithAlice();
  t_.Write("p/run.sh", "#!/bin/sh\nexec evil\n");
  EXPECT_EQ(Verify().message(),
            "executable " + (t_ / "p/run.sh").string() + " changed since it was signed");
  SignWithAlice();
  t_.Write("p/plugin.py", "print('evil')\n");
  EXPECT_EQ(Verify().message(),
            "script " + (t_ / "p/plugin.py").string() + " changed since it was signed");
  SignWithAlice();
  t_.Write("p/x.plugin.yaml", ReadFile(t_ / "p/x.plugin.yaml") + "env: {EVIL: 1}\n");
  EXPECT_EQ(Verify().message(),
            "manifest " + (t_ / "p/x.plugin.yaml").string() + " changed since it was signed");
}

TEST_F(PluginSigningTest, UnsignedWrongKeyAndForgedSignatureAreRefused) {
  EXPECT_EQ(Verify().message(), "not signed (no x.plugin.sig)");
  SignWithAlice();
  EXPECT_TRUE(Verify().ok());
  absl::Status wrong = Verify("mallory.pub");
  EXPECT_EQ(wrong.message(), "signed by key " + *KeyIdOfFile(t_ / "alice.pub") +
                                 ", which is not among the trusted keys (--trusted-key)");
  // Mallory re-writes the digests in Alice's signature file to match her executable.
  t_.Write("p/run.sh", "#!/bin/sh\nexec evil\n");
  std::string sig = ReadFile(t_ / "p/x.plugin.sig");
  absl::StatusOr<std::vector<SignedFile>> now = FilesToSign(Parsed());
  ASSERT_TRUE(now.ok());
  size_t at = sig.find("\"executable\"");
  at = sig.find("\"sha256\": \"", at) + 11;
  sig.replace(at, 64, (*now)[1].sha256);
  t_.Write("p/x.plugin.sig", sig);
  EXPECT_EQ(Verify().message(), "signature x.plugin.sig is not valid for key " +
                                    *KeyIdOfFile(t_ / "alice.pub") +
                                    " (the signature file was altered)");
  t_.Write("p/x.plugin.sig", "{not json");
  EXPECT_EQ(Verify().message(), (t_ / "p/x.plugin.sig").string() + " is not a signature file");
}

TEST_F(PluginSigningTest, HostPolicyDisablesWhatDoesNotVerifyAndPinsTheExecutable) {
  PluginSearchOptions options;
  options.plugin_dirs = {t_ / "p"};
  options.use_environment = options.use_user_dir = options.use_system_dir = false;
  options.require_signed = true;
  std::vector<FoundPlugin> found = FindPlugins(options);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].disabled_reason,
            "signature required (--require-signed), but no key is trusted (--trusted-key)");

  options.trusted_keys = {t_ / "alice.pub"};
  EXPECT_EQ(FindPlugins(options)[0].disabled_reason, "signature: not signed (no x.plugin.sig)");
  SignWithAlice();
  found = FindPlugins(options);
  EXPECT_EQ(found[0].disabled_reason, "");
  // What was verified is what may start: the supervisor checks this digest at each start.
  EXPECT_EQ(found[0].manifest->sha256, *Sha256OfFile(t_ / "p/run.sh"));

  options.require_signed = false;  // no policy: unsigned and tampered plugins are used
  t_.Write("p/run.sh", "#!/bin/sh\nexec other\n");
  found = FindPlugins(options);
  EXPECT_EQ(found[0].disabled_reason, "");
  EXPECT_EQ(found[0].manifest->sha256, "");
}

}  // namespace
}  // namespace deltascope
