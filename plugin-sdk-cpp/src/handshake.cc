#include "handshake.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace deltascope::plugin::internal {

uint32_t NegotiateVersion(std::string_view host_versions) {
  uint32_t best = 0;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(host_versions.data(), host_versions.size()), ',',
                      absl::SkipWhitespace())) {
    uint32_t version = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &version)) continue;
    for (uint32_t ours : kSupportedVersions) {
      if (ours == version && version > best) best = version;
    }
  }
  return best;
}

std::string HandshakeLine(uint32_t version, std::string_view socket_path) {
  return absl::StrCat("deltascope-plugin|", version, "|unix|",
                      absl::string_view(socket_path.data(), socket_path.size()), "|grpc\n");
}

absl::StatusOr<int> ParseFd(std::string_view text) {
  int fd = -1;
  if (!absl::SimpleAtoi(absl::string_view(text.data(), text.size()), &fd) || fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(kReadyFdEnv, " is not a file descriptor: '",
                                                   absl::string_view(text.data(), text.size()),
                                                   "'"));
  }
  return fd;
}

}  // namespace deltascope::plugin::internal
