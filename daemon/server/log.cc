#include "daemon/server/log.h"

#include <unistd.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon/util/fd.h"
#include "daemon/util/untrusted_text.h"

namespace deltascope {
namespace {

void Log(const char* level, const std::string& message, const LogFields& fields) {
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line["level"] = level;
  line["msg"] = message;
  for (const auto& [k, v] : fields) {
    if (!v.empty()) line[k] = v;
  }
  // One JSON object per line whatever a plugin printed: the writer escapes newlines and other
  // C0 controls and replaces invalid UTF-8; DEL, C1 and bidi controls are escaped too.
  const std::string text = EscapeJsonInvisibles(
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  (void)WriteFully(STDERR_FILENO, text);
}

}  // namespace

void LogInfo(const std::string& message, const LogFields& fields) { Log("info", message, fields); }
void LogWarning(const std::string& message, const LogFields& fields) {
  Log("warning", message, fields);
}
void LogError(const std::string& message, const LogFields& fields) {
  Log("error", message, fields);
}

}  // namespace deltascope
