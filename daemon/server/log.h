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

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_LOG_H_
