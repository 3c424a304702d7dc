#include "daemon/util/sha256.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/strings/str_format.h"
#include "daemon/util/fd.h"

namespace deltascope {
namespace {

using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

MdCtx NewSha256() {
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  return ctx;
}

std::string Finish(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) absl::StrAppendFormat(&hex, "%02x", digest[i]);
  return hex;
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  MdCtx ctx = NewSha256();
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  return Finish(ctx.get());
}

absl::StatusOr<std::string> Sha256OfFile(const std::filesystem::path& path) {
  // execve() follows links (/usr/bin/python3 -> python3.11): hash the file that will run, which
  // OpenForReading, refusing links, would not open.
  std::error_code ec;
  const std::filesystem::path target = std::filesystem::canonical(path, ec);
  absl::StatusOr<UniqueFd> fd = OpenForReading(ec ? path : target);
  if (!fd.ok()) return fd.status();
  MdCtx ctx = NewSha256();
  std::string buf(1 << 16, '\0');
  while (true) {
    absl::StatusOr<size_t> n = ReadFully(fd->get(), buf.data(), buf.size());
    if (!n.ok()) return n.status();
    EVP_DigestUpdate(ctx.get(), buf.data(), *n);
    if (*n < buf.size()) break;
  }
  return Finish(ctx.get());
}

}  // namespace deltascope
