// Signed plugins. A manifest `X.plugin.yaml` is signed in `X.plugin.sig`, next to it: an Ed25519
// signature (OpenSSL EVP) over the SHA-256 of the manifest's bytes, of its executable's bytes and
// of each file its `args` name under its root (the script an interpreter runs). Users trust
// public keys (--trusted-key, plugins.trusted_keys); with --require-signed a plugin whose
// signature is missing, made with another key, or whose files changed since, is disabled with one
// line saying which.
#ifndef DELTASCOPE_DAEMON_PLUGIN_SIGNING_H_
#define DELTASCOPE_DAEMON_PLUGIN_SIGNING_H_

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/plugin/manifest.h"

namespace deltascope {

// One file a signature covers.
struct SignedFile {
  std::string role;  // "manifest", "executable" or "script"
  std::filesystem::path path;
  std::string sha256;  // lower-case hex
};

// Writes a new key pair, `prefix`.key (the private key, PEM, mode 0600) and `prefix`.pub (the
// public key, PEM). Refuses to overwrite either. Returns the key's id (PublicKeyId).
absl::StatusOr<std::string> GenerateSigningKey(const std::filesystem::path& prefix);

// A key's id: the first 16 hex digits of the SHA-256 of its public key (DER). `key_file` holds a
// public or a private key (PEM).
absl::StatusOr<std::string> KeyIdOfFile(const std::filesystem::path& key_file);

// X.plugin.yaml -> X.plugin.sig (any other name: name + ".sig").
std::filesystem::path SignatureFileOf(const std::filesystem::path& manifest_file);

// What a signature of `manifest` covers, in order (manifest, executable, scripts), hashed now.
absl::StatusOr<std::vector<SignedFile>> FilesToSign(const Manifest& manifest);

// Signs `manifest` (read from manifest.file) with the private key in `private_key`, writing
// SignatureFileOf(manifest.file) atomically. Returns the key id.
absl::StatusOr<std::string> SignPlugin(const Manifest& manifest,
                                       const std::filesystem::path& private_key);

// Checks the signature of `manifest` against the public keys in `trusted_keys`. Returns what it
// covers (the executable's digest among them); errors are one line naming the file at fault:
// "not signed (no x.plugin.sig)", "signed by key 0123abcd..., which is not trusted",
// "executable /opt/x/plugin changed since it was signed".
absl::StatusOr<std::vector<SignedFile>> VerifyPlugin(
    const Manifest& manifest, const std::vector<std::filesystem::path>& trusted_keys);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_SIGNING_H_
