#include "cli/daemon_client.h"

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>

#include "absl/strings/str_cat.h"
#include "cli/daemon_connect.h"
#include "daemon/util/fd.h"
#include "deltascope/daemon/v1/daemon.grpc.pb.h"

namespace deltascope::cli {

// How long a daemon that neither accepts nor refuses (a firewall dropping packets) is waited for.
constexpr std::chrono::seconds kConnectPatience{5};

CLI::Option* AddDaemonFlags(CLI::App* cmd, DaemonTarget& target) {
  CLI::Option* daemon =
      cmd->add_option("--daemon", target.target, "deltascoped at unix:///path or dns:///host:port")
          ->envname("DELTASCOPE_DAEMON");
  cmd->add_option("--tls-ca", target.tls_ca,
                  "TCP with TLS: PEM file of the CA that signed the daemon's certificate")
      ->envname("DELTASCOPE_DAEMON_TLS_CA")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-cert", target.tls_cert,
                  "TCP with TLS: this client's PEM certificate (daemons with --tls-client-ca)")
      ->envname("DELTASCOPE_DAEMON_TLS_CERT")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", target.tls_key, "TCP with TLS: the client certificate's PEM key")
      ->envname("DELTASCOPE_DAEMON_TLS_KEY")
      ->check(CLI::ExistingFile);
  return daemon;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectDaemon(const DaemonTarget& target) {
  constexpr std::string_view kUnix = "unix://";
  if (target.target.rfind(kUnix, 0) == 0) {
    // The kernel says at once, and precisely, why a socket cannot be reached.
    if (absl::Status s = ProbeUnixSocket(target.target.substr(kUnix.size())); !s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot reach deltascoped at ", target.target, ": ", s.message()));
    }
  }
  if (target.tls_cert.empty() != target.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (target.tls_ca.empty() && !target.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls-cert needs --tls-ca (the CA of the daemon)");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!target.tls_ca.empty()) {
    grpc::SslCredentialsOptions tls;
    for (auto [path, pem] : {std::pair{&target.tls_ca, &tls.pem_root_certs},
                             std::pair{&target.tls_cert, &tls.pem_cert_chain},
                             std::pair{&target.tls_key, &tls.pem_private_key}}) {
      if (path->empty()) continue;
      absl::StatusOr<std::string> text = ReadFileToString(*path);
      if (!text.ok())
        return absl::InvalidArgumentError(absl::StrCat(*path, ": ", text.status().message()));
      *pem = *std::move(text);
    }
    credentials = grpc::SslCredentials(tls);
  }
  // A changeset is one message: gRPC's default 4 MiB receive cap refused every diff of more than
  // some 15,000 changed files.
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target.target, credentials, arguments);
  if (absl::Status s = WaitUntilConnected(*channel, !target.tls_ca.empty(), kConnectPatience);
      !s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach deltascoped at ", target.target, ": ", s.message()));
  }
  return channel;
}

absl::StatusOr<DiffOutcome> DiffViaDaemon(const DaemonDiffRequest& request) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ConnectDaemon(request.daemon);
  if (!channel.ok()) return channel.status();
  auto stub = daemon::v1::Deltascope::NewStub(*channel);
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

  // The events are read as raw bytes and parsed here: with a typed reader, an event that does
  // not parse ends the reads as if the stream were over (a silent empty answer) while Finish()
  // waits for a daemon that may never close the stream.
  grpc::ClientContext context;
  const grpc::internal::RpcMethod method("/deltascope.daemon.v1.Deltascope/Diff",
                                         grpc::internal::RpcMethod::SERVER_STREAMING);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(channel->get(), method,
                                                                    &context, rpc));
  std::vector<changeset::v1::Changeset> changesets;
  std::optional<int> exit_status;
  grpc::ByteBuffer bytes;
  daemon::v1::DiffEvent event;
  while (reader->Read(&bytes)) {
    grpc::Status parsed =
        grpc::SerializationTraits<daemon::v1::DiffEvent>::Deserialize(&bytes, &event);
    if (!parsed.ok()) {
      context.TryCancel();
      (void)reader->Finish();
      return absl::DataLossError(absl::StrCat(
          "deltascoped at ", request.daemon.target, " sent an event that is not a DiffEvent (",
          parsed.error_message(), "); is it a different deltascope version?"));
    }
    if (event.has_progress() && request.on_progress) {
      request.on_progress(event.progress().items_compared(), event.progress().pair_index());
    } else if (event.has_changeset()) {
      changesets.push_back(std::move(*event.mutable_changeset()));
    } else if (event.has_done()) {
      exit_status = event.done().exit_status();
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    return absl::Status(
        static_cast<absl::StatusCode>(status.error_code()),
        absl::StrCat("deltascoped at ", request.daemon.target, ": ", status.error_message()));
  }
  // One changeset per consecutive pair of snapshots, or the answer is incomplete.
  const size_t pairs = request.snapshots.empty() ? 0 : request.snapshots.size() - 1;
  if (changesets.size() != pairs) {
    return absl::DataLossError(absl::StrCat("deltascoped at ", request.daemon.target, " sent ",
                                            changesets.size(), " changesets for ", pairs,
                                            " snapshot pairs"));
  }
  if (!exit_status || *exit_status < kExitNoChanges || *exit_status > kExitTrouble) {
    return absl::DataLossError(
        absl::StrCat("deltascoped at ", request.daemon.target, " sent no valid exit status"));
  }
  return DiffOutcome{std::move(changesets), *exit_status};
}

}  // namespace deltascope::cli
