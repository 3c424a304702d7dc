// `deltascope plugins keygen | sign | verify`: Ed25519 keys and plugin signatures (signing.h).
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "daemon/plugin/signing.h"
#include "daemon/util/untrusted_text.h"

namespace deltascope::cli {
namespace {

int Keygen(const std::string& prefix) {
  absl::StatusOr<std::string> id = GenerateSigningKey(prefix);
  if (!id.ok()) {
    PrintError(id.status().message());
    return kExitTrouble;
  }
  std::printf("key %s: private %s.key (keep it secret), public %s.pub (give it to users)\n",
              id->c_str(), EscapeForTerminal(prefix).c_str(), EscapeForTerminal(prefix).c_str());
  return 0;
}

int Sign(const std::string& manifest_file, const std::string& key) {
  absl::StatusOr<Manifest> m = ParseManifestFile(manifest_file);
  if (!m.ok()) {
    PrintError(m.status().message());
    return kExitTrouble;
  }
  absl::StatusOr<std::string> id = SignPlugin(*m, key);
  if (!id.ok()) {
    PrintError(absl::StrCat(manifest_file, ": ", id.status().message()));
    return kExitTrouble;
  }
  absl::StatusOr<std::vector<SignedFile>> files = FilesToSign(*m);
  std::printf("signed %s with key %s: %s\n", EscapeForTerminal(m->name).c_str(), id->c_str(),
              EscapeForTerminal(SignatureFileOf(m->file).string()).c_str());
  for (const SignedFile& f : files.ok() ? *files : std::vector<SignedFile>{}) {
    std::printf("  %-10s %s %s\n", f.role.c_str(), f.sha256.substr(0, 16).c_str(),
                EscapeForTerminal(f.path.string()).c_str());
  }
  return 0;
}

int Verify(const std::vector<std::string>& manifests, const std::vector<std::string>& keys) {
  if (keys.empty()) {
    PrintError("give the public keys to trust: --trusted-key FILE (repeatable)");
    return kExitTrouble;
  }
  std::vector<std::filesystem::path> trusted(keys.begin(), keys.end());
  bool all_ok = true;
  for (const std::string& file : manifests) {
    absl::StatusOr<Manifest> m = ParseManifestFile(file);
    absl::StatusOr<std::vector<SignedFile>> files =
        m.ok() ? VerifyPlugin(*m, trusted) : absl::StatusOr<std::vector<SignedFile>>(m.status());
    if (!files.ok()) {
      std::printf("FAIL %s: %s\n", EscapeForTerminal(m.ok() ? m->name : file).c_str(),
                  EscapeForTerminal(files.status().message()).c_str());
      all_ok = false;
      continue;
    }
    std::printf("ok   %s: signature valid, %zu files unchanged\n",
                EscapeForTerminal(m->name).c_str(), files->size());
  }
  return all_ok ? 0 : kExitTrouble;
}

}  // namespace

void AddPluginSigningCommands(CLI::App* plugins, int* exit_code) {
  auto prefix = std::make_shared<std::string>();
  auto manifests = std::make_shared<std::vector<std::string>>();
  auto key = std::make_shared<std::string>();
  auto trusted = std::make_shared<std::vector<std::string>>();

  CLI::App* keygen = plugins->add_subcommand(
      "keygen", "Make an Ed25519 key pair for signing plugins: PREFIX.key and PREFIX.pub");
  keygen->add_option("prefix", *prefix, "Path prefix of the two files")
      ->default_val("deltascope-plugins");
  keygen->callback([=] { *exit_code = Keygen(*prefix); });

  CLI::App* sign = plugins->add_subcommand(
      "sign", "Sign a manifest, its executable and scripts: writes NAME.plugin.sig next to it");
  sign->add_option("manifest", *manifests)->required()->expected(1)->check(CLI::ExistingFile);
  sign->add_option("--key", *key, "Private key (PEM) from deltascope plugins keygen")
      ->required()
      ->check(CLI::ExistingFile);
  sign->callback([=] { *exit_code = Sign(manifests->front(), *key); });

  CLI::App* verify = plugins->add_subcommand(
      "verify", "Check manifests' signatures against trusted public keys; exit 2 on any failure");
  verify->add_option("manifests", *manifests)->required()->check(CLI::ExistingFile);
  verify->add_option("--trusted-key", *trusted, "Public key (PEM) to trust; repeatable")
      ->required();
  verify->callback([=] { *exit_code = Verify(*manifests, *trusted); });
}

}  // namespace deltascope::cli
