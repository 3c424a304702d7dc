// Client mode: `deltascope diff --daemon unix:///path` runs the diff in deltascoped and renders
// the changesets it streams back, byte-identical to the embedded engine's.
#ifndef DELTASCOPE_CLI_DAEMON_CLIENT_H_
#define DELTASCOPE_CLI_DAEMON_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope::cli {

struct DaemonDiffRequest {
  std::string target;                  // unix:///path or dns:///host:port
  std::vector<std::string> snapshots;  // as given on the command line (used as labels)
  std::vector<std::string> comparators;
  int jobs = 0;
  bool detect_moves = true;
  std::string config_yaml;  // the --config file's text, for its tables and archive limits
  // Called with (items compared, pair index) as progress events arrive.
  std::function<void(uint64_t, uint32_t)> on_progress;
};

// Fails with a clear message when the daemon is unreachable or refuses the request.
absl::StatusOr<std::vector<changeset::v1::Changeset>> DiffViaDaemon(
    const DaemonDiffRequest& request);

}  // namespace deltascope::cli

#endif  // DELTASCOPE_CLI_DAEMON_CLIENT_H_
