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

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text) {
  absl::string_view t(text.data(), text.size());
  absl::string_view path = t;
  if (absl::ConsumePrefix(&path, "unix://") || absl::ConsumePrefix(&path, "unix:")) {
    if (!path.empty() && path[0] == '/') {
      return ListenAddress{absl::StrCat("unix:", path), std::string(path)};
    }
  } else {
    size_t colon = t.rfind(':');
    uint32_t port = 0;
    if (colon != absl::string_view::npos && colon > 0 &&
        absl::SimpleAtoi(t.substr(colon + 1), &port) && port > 0 && port < 65536 &&
        t.find('/') == absl::string_view::npos) {
      return ListenAddress{std::string(t), ""};
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(kListenEnv, " '", t, "' must be unix:///absolute/path or host:port"));
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
