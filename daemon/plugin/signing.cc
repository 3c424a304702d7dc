#include "daemon/plugin/signing.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/util/atomic_file.h"
#include "daemon/util/fd.h"
#include "daemon/util/sha256.h"

namespace deltascope {
namespace {

using Json = nlohmann::json;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

constexpr char kFormat[] = "deltascope-plugin-signature/1";

// What is signed: the format, then one "ROLE SHA256" line per file. Paths are left out so a
// plugin folder can move; the roles and their order fix what each digest stands for.
std::string SignedMessage(const std::vector<SignedFile>& files) {
  std::string message = absl::StrCat(kFormat, "\n");
  for (const SignedFile& f : files) absl::StrAppend(&message, f.role, " ", f.sha256, "\n");
  return message;
}

absl::StatusOr<std::string> ReadSmallFile(const std::filesystem::path& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", path.string(), ": ", text.status().message()));
  }
  return text;
}

// A key from PEM text: the private key when there is one, else the public key.
absl::StatusOr<Key> LoadKey(const std::filesystem::path& path, bool need_private) {
  absl::StatusOr<std::string> pem = ReadSmallFile(path);
  if (!pem.ok()) return pem.status();
  Bio bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())), BIO_free);
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key && !need_private) {
    bio.reset(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  }
  if (!key) {
    return absl::InvalidArgumentError(absl::StrCat(
        path.string(), ": not ", need_private ? "a private" : "a", " key in PEM form"));
  }
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), ": not an Ed25519 key"));
  }
  return key;
}

std::string KeyId(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  std::string id = Sha256Hex(absl::string_view(reinterpret_cast<char*>(der), len)).substr(0, 16);
  OPENSSL_free(der);
  return id;
}

std::string Pem(EVP_PKEY* key, bool private_part) {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  if (private_part) {
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PUBKEY(bio.get(), key);
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::vector<SignedFile>> ParseSignatureFile(const std::filesystem::path& sig,
                                                           std::string& key_id,
                                                           std::string& signature) {
  absl::StatusOr<std::string> text = ReadSmallFile(sig);
  if (!text.ok()) return text.status();
  const Json j = Json::parse(*text, nullptr, false);
  auto malformed = [&] {
    return absl::InvalidArgumentError(absl::StrCat(sig.string(), " is not a signature file"));
  };
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kFormat ||
      !j["key"].is_string() || !j["signature"].is_string() || !j["files"].is_array()) {
    return malformed();
  }
  key_id = j["key"].get<std::string>();
  if (!absl::Base64Unescape(j["signature"].get<std::string>(), &signature)) return malformed();
  std::vector<SignedFile> files;
  for (const Json& f : j["files"]) {
    if (!f.is_object() || !f["role"].is_string() || !f["sha256"].is_string()) return malformed();
    files.push_back(
        {f["role"].get<std::string>(), f.value("path", ""), f["sha256"].get<std::string>()});
  }
  return files;
}

}  // namespace

absl::StatusOr<std::string> GenerateSigningKey(const std::filesystem::path& prefix) {
  const std::filesystem::path private_file = prefix.string() + ".key";
  const std::filesystem::path public_file = prefix.string() + ".pub";
  for (const auto& f : {private_file, public_file}) {
    std::error_code ec;
    if (std::filesystem::exists(f, ec)) {
      return absl::AlreadyExistsError(absl::StrCat(f.string(), " exists; not overwriting it"));
    }
  }
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free);
  if (!key) return absl::InternalError("cannot generate an Ed25519 key");
  if (absl::Status s = WriteFileAtomically(private_file, Pem(key.get(), true), 0600); !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteFileAtomically(public_file, Pem(key.get(), false)); !s.ok()) return s;
  return KeyId(key.get());
}

absl::StatusOr<std::string> KeyIdOfFile(const std::filesystem::path& key_file) {
  absl::StatusOr<Key> key = LoadKey(key_file, /*need_private=*/false);
  if (!key.ok()) return key.status();
  return KeyId(key->get());
}

std::filesystem::path SignatureFileOf(const std::filesystem::path& manifest_file) {
  const std::string name = manifest_file.string();
  constexpr absl::string_view kSuffix = ".plugin.yaml";
  if (absl::EndsWith(name, kSuffix)) {
    return name.substr(0, name.size() - kSuffix.size()) + ".plugin.sig";
  }
  return name + ".sig";
}

absl::StatusOr<std::vector<SignedFile>> FilesToSign(const Manifest& manifest) {
  std::vector<SignedFile> files{{"manifest", manifest.file, ""}};
  if (!manifest.attached()) files.push_back({"executable", manifest.command, ""});
  for (const std::string& arg : manifest.args) {
    // Only what lies under the plugin's root: a script, not /dev/null or a system file.
    const std::filesystem::path path = manifest.root / arg;
    std::error_code ec;
    if (arg.empty() || arg[0] == '-' || std::filesystem::path(arg).is_absolute() ||
        arg.find("..") != std::string::npos || !std::filesystem::is_regular_file(path, ec)) {
      continue;
    }
    files.push_back({"script", path, ""});
  }
  for (SignedFile& f : files) {
    absl::StatusOr<std::string> digest = Sha256OfFile(f.path);
    if (!digest.ok()) {
      return absl::NotFoundError(absl::StrCat("cannot read ", f.role, " ", f.path.string(), ": ",
                                              digest.status().message()));
    }
    f.sha256 = *std::move(digest);
  }
  return files;
}

absl::StatusOr<std::string> SignPlugin(const Manifest& manifest,
                                       const std::filesystem::path& private_key) {
  absl::StatusOr<Key> key = LoadKey(private_key, /*need_private=*/true);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::vector<SignedFile>> files = FilesToSign(manifest);
  if (!files.ok()) return files.status();
  const std::string message = SignedMessage(*files);
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char signature[64];
  size_t len = sizeof(signature);
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return absl::InternalError("Ed25519 signing failed");
  }
  Json j = {{"format", kFormat},
            {"plugin", manifest.name},
            {"key", KeyId(key->get())},
            {"signature",
             absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(signature), len))}};
  j["files"] = Json::array();
  for (const SignedFile& f : *files) {
    j["files"].push_back({{"role", f.role}, {"path", f.path.string()}, {"sha256", f.sha256}});
  }
  if (absl::Status s = WriteFileAtomically(SignatureFileOf(manifest.file), j.dump(2) + "\n");
      !s.ok()) {
    return s;
  }
  return KeyId(key->get());
}

absl::StatusOr<std::vector<SignedFile>> VerifyPlugin(
    const Manifest& manifest, const std::vector<std::filesystem::path>& trusted_keys) {
  const std::filesystem::path sig = SignatureFileOf(manifest.file);
  std::error_code ec;
  if (!std::filesystem::exists(sig, ec)) {
    return absl::PermissionDeniedError(
        absl::StrCat("not signed (no ", sig.filename().string(), ")"));
  }
  std::string key_id, signature;
  absl::StatusOr<std::vector<SignedFile>> signed_files = ParseSignatureFile(sig, key_id, signature);
  if (!signed_files.ok()) return signed_files.status();
  Key trusted(nullptr, EVP_PKEY_free);
  for (const std::filesystem::path& file : trusted_keys) {
    absl::StatusOr<Key> key = LoadKey(file, /*need_private=*/false);
    if (!key.ok()) return key.status();
    if (KeyId(key->get()) == key_id) trusted = *std::move(key);
  }
  if (!trusted) {
    return absl::PermissionDeniedError(absl::StrCat(
        "signed by key ", key_id, ", which is not among the trusted keys (--trusted-key)"));
  }
  const std::string message = SignedMessage(*signed_files);
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, trusted.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1) {
    return absl::PermissionDeniedError(absl::StrCat("signature ", sig.filename().string(),
                                                    " is not valid for key ", key_id,
                                                    " (the signature file was altered)"));
  }
  // The signature holds: now which file, if any, differs from what was signed.
  absl::StatusOr<std::vector<SignedFile>> now = FilesToSign(manifest);
  if (!now.ok()) return now.status();
  for (size_t i = 0; i < now->size(); ++i) {
    const SignedFile& file = (*now)[i];
    if (i >= signed_files->size() || (*signed_files)[i].role != file.role) {
      return absl::PermissionDeniedError(
          absl::StrCat(file.role, " ", file.path.string(), " is not covered by the signature"));
    }
    if ((*signed_files)[i].sha256 != file.sha256) {
      return absl::PermissionDeniedError(
          absl::StrCat(file.role, " ", file.path.string(), " changed since it was signed"));
    }
  }
  if (signed_files->size() != now->size()) {
    return absl::PermissionDeniedError(absl::StrCat("the signature covers ", signed_files->size(),
                                                    " files, the plugin has ", now->size(),
                                                    " (its manifest changed since it was signed)"));
  }
  return now;
}

}  // namespace deltascope
