// Attached plugins: a manifest names an `endpoint` instead of a command, and the plugin is
// already running (a sidecar, a notebook, another machine). The host connects to it instead of
// starting it; these are the pieces of that connection the supervisor uses.
#ifndef DELTASCOPE_DAEMON_PLUGIN_ATTACHED_H_
#define DELTASCOPE_DAEMON_PLUGIN_ATTACHED_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>

#include "absl/status/statusor.h"
#include "daemon/plugin/manifest.h"
#include "deltascope/plugin/v1/comparator.grpc.pb.h"

namespace deltascope {

// How long an unreachable attached plugin is left alone before the next connection attempt;
// calls meanwhile fall back at once (plugin-unavailable).
inline constexpr std::chrono::milliseconds kAttachedRetryInterval{1000};

struct AttachedConnection {
  std::shared_ptr<grpc::Channel> channel;
  ::deltascope::plugin::v1::DescribeResponse description;
};

// Opens a fresh channel to `manifest.endpoint` (never shared with an earlier, possibly broken
// one), health-checks it (grpc.health.v1, must be SERVING) and describes it, each within the
// `startup_timeout` (the effective one). Errors name the plugin, the endpoint and the reason.
absl::StatusOr<AttachedConnection> ConnectAttached(const Manifest& manifest,
                                                   std::chrono::milliseconds startup_timeout);

// Checks a Describe answer against the manifest: protocol version 1, every declared comparator
// served. Shared by spawned and attached plugins.
absl::Status CheckDescription(const Manifest& manifest,
                              const ::deltascope::plugin::v1::DescribeResponse& description);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_ATTACHED_H_
