#include "daemon/server/log.h"

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
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

// "src/core/lib/foo.cc", 12 -> "foo.cc:12": where, without the build machine's paths.
std::string Where(const char* file, int line) {
  const char* base = file ? std::strrchr(file, '/') : nullptr;
  return absl::StrCat(base ? base + 1 : (file ? file : "?"), ":", line);
}

void GrpcLog(gpr_log_func_args* args) {
  const char* level = args->severity == GPR_LOG_SEVERITY_ERROR  ? "error"
                      : args->severity == GPR_LOG_SEVERITY_INFO ? "info"
                                                                : "debug";
  Log(level, args->message ? args->message : "",
      {{"source", "grpc"}, {"where", Where(args->file, args->line)}});
}

void ProtobufLog(google::protobuf::LogLevel severity, const char* file, int line,
                 const std::string& message) {
  const char* level = severity >= google::protobuf::LOGLEVEL_ERROR     ? "error"
                      : severity == google::protobuf::LOGLEVEL_WARNING ? "warning"
                                                                       : "info";
  Log(level, message, {{"source", "protobuf"}, {"where", Where(file, line)}});
}

}  // namespace

void RouteLibraryLogs() {
  gpr_set_log_function(&GrpcLog);
  google::protobuf::SetLogHandler(&ProtobufLog);
}

void LogInfo(const std::string& message, const LogFields& fields) { Log("info", message, fields); }
void LogWarning(const std::string& message, const LogFields& fields) {
  Log("warning", message, fields);
}
void LogError(const std::string& message, const LogFields& fields) {
  Log("error", message, fields);
}

}  // namespace deltascope
