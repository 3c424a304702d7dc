#include "daemon/plugin/attached.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/plugin/instance.h"
#include "daemon/plugin/reply.h"

namespace deltascope {

namespace pluginpb = ::deltascope::plugin::v1;

absl::Status CheckDescription(const Manifest& manifest,
                              const pluginpb::DescribeResponse& description) {
  if (description.protocol_version() != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("plugin ", manifest.name, ": incompatible protocol version ",
                     description.protocol_version(), " in Describe (this host speaks 1)"));
  }
  for (const ComparatorClaim& claim : manifest.comparators) {
    bool served = std::any_of(
        description.comparators().begin(), description.comparators().end(),
        [&](const pluginpb::ComparatorInfo& c) { return c.name() == claim.descriptor.name; });
    if (!served) {
      return absl::FailedPreconditionError(
          absl::StrCat("plugin ", manifest.name, ": comparator ", claim.descriptor.name,
                       " declared in the manifest but not served"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AttachedConnection> ConnectAttached(const Manifest& manifest,
                                                   std::chrono::milliseconds startup_timeout) {
  const std::string who = absl::StrCat("plugin ", manifest.name, " at ", manifest.endpoint);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxPluginResponseBytes);
  // A private subchannel: a shared one may still sit in the backoff of the connection that
  // broke, and the plugin would look down for long after it came back.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  AttachedConnection c;
  c.channel =
      grpc::CreateCustomChannel(manifest.endpoint, grpc::InsecureChannelCredentials(), args);
  const auto start = std::chrono::steady_clock::now();
  const auto left = [&] {
    return std::max(std::chrono::milliseconds(0),
                    startup_timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - start));
  };

  absl::StatusOr<grpc::health::v1::HealthCheckResponse> health =
      CheckPluginHealth(*c.channel, left());
  if (!health.ok()) {
    return absl::UnavailableError(
        absl::StrCat(who, " is unreachable: ", health.status().message()));
  }
  if (health->status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError(absl::StrCat(
        who, " is not serving (health: ",
        grpc::health::v1::HealthCheckResponse::ServingStatus_Name(health->status()), ")"));
  }

  absl::StatusOr<pluginpb::DescribeResponse> description = DescribePlugin(*c.channel, left());
  if (!description.ok()) {
    return absl::UnavailableError(absl::StrCat(who, ": ", description.status().message()));
  }
  c.description = std::move(*description);
  if (absl::Status valid = CheckDescription(manifest, c.description); !valid.ok()) return valid;
  return c;
}

// --- Attached plugins (manifest `endpoint`, see attached.h) ---

absl::Status PluginSupervisor::AttachedGate() {
  if (state_ == PluginState::kUnreachable && options_.clock() < retry_at_) {
    return Unusable();
  }
  return absl::OkStatus();
}

void PluginSupervisor::MarkUnreachable(const std::string& why) {
  state_ = PluginState::kUnreachable;
  reason_ = why;
  retry_at_ = options_.clock() + kAttachedRetryInterval;
  live_ -= static_cast<int>(idle_.size());
  idle_.clear();  // their channels are broken too
}

absl::StatusOr<std::unique_ptr<PluginSupervisor::Instance>> PluginSupervisor::ConnectInstance() {
  absl::StatusOr<AttachedConnection> c = ConnectAttached(manifest_, limits_.startup_timeout);
  if (!c.ok()) return c.status();
  auto instance = std::make_unique<Instance>();
  instance->channel = std::move(c->channel);
  instance->description = std::move(c->description);
  return instance;
}

}  // namespace deltascope
