// The start-up contract between host and plugin (docs/plugin-protocol.md, "Start-up").
#ifndef DELTASCOPE_PLUGIN_SDK_SRC_HANDSHAKE_H_
#define DELTASCOPE_PLUGIN_SDK_SRC_HANDSHAKE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace deltascope::plugin::internal {

inline constexpr char kMagicCookieEnv[] = "DELTASCOPE_PLUGIN_MAGIC_COOKIE";
inline constexpr char kMagicCookie[] = "d3lt4sc0pe-plugin-v1";
inline constexpr char kSocketEnv[] = "DELTASCOPE_PLUGIN_SOCKET";
inline constexpr char kVersionsEnv[] = "DELTASCOPE_PLUGIN_PROTOCOL_VERSIONS";
inline constexpr char kReadyFdEnv[] = "DELTASCOPE_PLUGIN_READY_FD";
// Listen mode (attached plugins): serve on this address without a host or handshake.
inline constexpr char kListenEnv[] = "DELTASCOPE_PLUGIN_LISTEN";
inline constexpr char kServiceName[] = "deltascope.plugin.v1.Comparator";

// Protocol versions this SDK speaks, highest first.
inline constexpr uint32_t kSupportedVersions[] = {1};

// The highest version both sides speak, given the host's comma-separated list; 0 when none.
uint32_t NegotiateVersion(std::string_view host_versions);

// "deltascope-plugin|<version>|unix|<socket>|grpc\n".
std::string HandshakeLine(uint32_t version, std::string_view socket_path);

struct ListenAddress {
  std::string grpc_address;  // for grpc::ServerBuilder
  std::string socket_path;   // the Unix socket's path (a stale one is removed), else empty
};

// "unix:///abs/path" (or "unix:/abs/path") or "host:port" (e.g. "0.0.0.0:50051").
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text);

// Parses DELTASCOPE_PLUGIN_READY_FD.
absl::StatusOr<int> ParseFd(std::string_view text);

}  // namespace deltascope::plugin::internal

#endif  // DELTASCOPE_PLUGIN_SDK_SRC_HANDSHAKE_H_
