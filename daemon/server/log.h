// Structured logs for the daemon: one JSON object per line on standard error.
#ifndef DELTASCOPE_DAEMON_SERVER_LOG_H_
#define DELTASCOPE_DAEMON_SERVER_LOG_H_

#include <string>
#include <utility>
#include <vector>

namespace deltascope {

using LogFields = std::vector<std::pair<std::string, std::string>>;

void LogInfo(const std::string& message, const LogFields& fields);
void LogWarning(const std::string& message, const LogFields& fields);
void LogError(const std::string& message, const LogFields& fields);

// Sends what gRPC (gpr_log: errors, and whatever $GRPC_VERBOSITY / $GRPC_TRACE enable) and
// protobuf log into the same JSON stream, with "source" "grpc" or "protobuf" and "where"
// (file:line), instead of their own plain-text lines. Call first thing in main().
void RouteLibraryLogs();

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_LOG_H_
