#include "cli/daemon_client.h"

#include <grpcpp/grpcpp.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "deltascope/daemon/v1/daemon.grpc.pb.h"

namespace deltascope::cli {

absl::StatusOr<std::vector<changeset::v1::Changeset>> DiffViaDaemon(
    const DaemonDiffRequest& request) {
  constexpr std::string_view kUnix = "unix://";
  if (request.target.rfind(kUnix, 0) == 0) {
    std::string socket = request.target.substr(kUnix.size());
    std::error_code ec;
    if (!std::filesystem::exists(socket, ec)) {
      return absl::UnavailableError(absl::StrCat("cannot reach deltascoped at ", request.target,
                                                 ": no socket at ", socket, " (is it running?)"));
    }
  }
  // A changeset is one message: gRPC's default 4 MiB receive cap refused every diff of more than
  // some 15,000 changed files.
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(request.target, grpc::InsecureChannelCredentials(), arguments);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach deltascoped at ", request.target, " (is it running?)"));
  }
  auto stub = daemon::v1::Deltascope::NewStub(channel);
  daemon::v1::DiffRequest rpc;
  for (const std::string& s : request.snapshots) {
    // The daemon has its own working directory: send absolute paths, keep the given labels.
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(s, ec);
    rpc.add_snapshots(ec ? s : abs.string());
    rpc.add_labels(s);
  }
  for (const std::string& c : request.comparators) rpc.add_comparators(c);
  rpc.set_jobs(static_cast<uint32_t>(request.jobs));
  rpc.set_detect_moves(request.detect_moves);
  rpc.set_config_yaml(request.config_yaml);

  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<daemon::v1::DiffEvent>> reader = stub->Diff(&context, rpc);
  std::vector<changeset::v1::Changeset> changesets;
  daemon::v1::DiffEvent event;
  while (reader->Read(&event)) {
    if (event.has_progress() && request.on_progress) {
      request.on_progress(event.progress().items_compared(), event.progress().pair_index());
    } else if (event.has_changeset()) {
      changesets.push_back(std::move(*event.mutable_changeset()));
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    return absl::Status(
        static_cast<absl::StatusCode>(status.error_code()),
        absl::StrCat("deltascoped at ", request.target, ": ", status.error_message()));
  }
  return changesets;
}

}  // namespace deltascope::cli
