// SHA-256 (OpenSSL EVP), as lower-case hex.
#ifndef DELTASCOPE_DAEMON_UTIL_SHA256_H_
#define DELTASCOPE_DAEMON_UTIL_SHA256_H_

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace deltascope {

std::string Sha256Hex(absl::string_view data);
// The digest of the file `path` names; links are followed (execve() runs the link's target).
absl::StatusOr<std::string> Sha256OfFile(const std::filesystem::path& path);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_UTIL_SHA256_H_
