// Client mode: `deltascope diff --daemon unix:///path` runs the diff in deltascoped and renders
// the changesets it streams back, byte-identical to the embedded engine's.
#ifndef DELTASCOPE_CLI_DAEMON_CLIENT_H_
#define DELTASCOPE_CLI_DAEMON_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/session/diff_session.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace deltascope::cli {

// Where a daemon listens and, for TCP with TLS, the client's PEM files.
struct DaemonTarget {
  std::string target;    // unix:///path or dns:///host:port
  std::string tls_ca;    // CA that signed the daemon's certificate; setting it turns TLS on
  std::string tls_cert;  // client certificate, for daemons that require one (--tls-client-ca)
  std::string tls_key;   // its private key
};

// Adds --daemon (or $DELTASCOPE_DAEMON) and --tls-ca/--tls-cert/--tls-key (or
// $DELTASCOPE_DAEMON_TLS_CA, ..._CERT, ..._KEY) to a command.
CLI::Option* AddDaemonFlags(CLI::App* cmd, DaemonTarget& target);

// A connected channel to the daemon; fails with one clear line (unreachable, unreadable PEM,
// refused handshake) naming the target.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectDaemon(const DaemonTarget& target);

struct DaemonDiffRequest {
  DaemonTarget daemon;
  std::vector<std::string> snapshots;  // as given on the command line (used as labels)
  std::vector<std::string> comparators;
  int jobs = 0;
  bool detect_moves = true;
  std::string config_yaml;  // the --config file's text, for its tables and archive limits
  // Called with (items compared, pair index) as progress events arrive.
  std::function<void(uint64_t, uint32_t)> on_progress;
};

// Fails with a clear message when the daemon is unreachable or refuses the request.
// The changesets and the exit status come from the daemon's session (its Done event).
absl::StatusOr<DiffOutcome> DiffViaDaemon(const DaemonDiffRequest& request);

}  // namespace deltascope::cli

#endif  // DELTASCOPE_CLI_DAEMON_CLIENT_H_
