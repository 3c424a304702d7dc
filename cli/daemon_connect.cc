#include "cli/daemon_connect.h"

#include <errno.h>
#include <grpc/support/log.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "daemon/util/fd.h"
#include "re2/re2.h"

namespace deltascope::cli {
namespace {

// gRPC's log lines, kept instead of printed: the most telling line about a failed connection.
// With several addresses (localhost: ::1 and 127.0.0.1), the one where a daemon answered and
// then failed the handshake or hung up says more than the one that refused.
std::mutex g_log_mu;
std::string g_connect_error;
int g_connect_error_rank = 0;

int Rank(absl::string_view message) {
  if (absl::StrContains(message, "Handshake failed")) return 3;
  if (!absl::StrContains(message, "connect failed")) return 0;
  return absl::StrContains(message, "os_error") ? 1 : 2;
}

void KeepGrpcLog(gpr_log_func_args* args) {
  if (args->message == nullptr) return;
  const int rank = Rank(args->message);
  std::lock_guard<std::mutex> lock(g_log_mu);
  if (rank > 0 && rank >= g_connect_error_rank) {
    g_connect_error = args->message;
    g_connect_error_rank = rank;
  }
}

// While connecting, gRPC's INFO lines are read too: they hold the cause of a failed attempt.
class QuietGrpcLogs {
 public:
  QuietGrpcLogs() {
    gpr_set_log_function(&KeepGrpcLog);
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_INFO);
    std::lock_guard<std::mutex> lock(g_log_mu);
    g_connect_error.clear();
    g_connect_error_rank = 0;
  }
  ~QuietGrpcLogs() { gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR); }  // still not printed
  static std::string ConnectError() {
    std::lock_guard<std::mutex> lock(g_log_mu);
    return g_connect_error;
  }
};

// gRPC's explanation, made into a clause.
std::string Cause(const std::string& log, bool tls) {
  if (absl::StrContains(log, "Handshake failed")) {
    if (absl::StrContains(log, "certificate verify failed") ||
        absl::StrContains(log, "CERTIFICATE_VERIFY_FAILED")) {
      return "TLS handshake failed: the daemon's certificate is not signed by the CA in --tls-ca "
             "(or does not name this host)";
    }
    std::string reason;
    RE2::PartialMatch(log, R"(:([^:]+?)\.?$)", &reason);  // OpenSSL's last words
    return absl::StrCat("TLS handshake failed (", reason.empty() ? log : reason,
                        "): does the daemon accept this client certificate (--tls-cert)?");
  }
  std::string os_error;
  if (RE2::PartialMatch(log, R"re(os_error:"([^"]+)")re", &os_error)) {
    return absl::StrCat(absl::AsciiStrToLower(os_error),
                        absl::StrContains(os_error, "refused")
                            ? " (nothing listens there: start deltascoped, or check --daemon)"
                            : "");
  }
  if (absl::StrContains(log, "Socket closed") || absl::StrContains(log, "Endpoint read failed")) {
    return tls ? "the daemon closed the connection during setup (does it accept this client "
                 "certificate? a daemon with --tls-client-ca wants --tls-cert and --tls-key)"
               : "the daemon closed the connection during setup (does it serve TLS? then pass "
                 "--tls-ca)";
  }
  return "the connection failed";
}

}  // namespace

absl::Status ProbeUnixSocket(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return absl::OkStatus();  // gRPC will say
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::OkStatus();
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
    return absl::OkStatus();
  }
  switch (errno) {
    case ENOENT:
      return absl::UnavailableError(
          absl::StrCat("no socket at ", path, " (start deltascoped, or check --daemon)"));
    case ECONNREFUSED:
      return absl::UnavailableError(absl::StrCat(
          "connection refused: nothing listens on ", path,
          " (a socket left by a daemon that stopped, or not a socket; start deltascoped)"));
    case EACCES:
    case EPERM:
      return absl::UnavailableError(
          absl::StrCat("permission denied on ", path,
                       " (the daemon's socket is mode 0600: connect as the daemon's user)"));
    default:
      return absl::UnavailableError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
}

absl::Status WaitUntilConnected(grpc::Channel& channel, bool tls, std::chrono::seconds patience) {
  QuietGrpcLogs quiet;
  const auto deadline = std::chrono::system_clock::now() + patience;
  grpc_connectivity_state state = channel.GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      return absl::UnavailableError(Cause(QuietGrpcLogs::ConnectError(), tls));
    }
    if (!channel.WaitForStateChange(state, deadline)) {
      return absl::UnavailableError(absl::StrCat("no answer within ", patience.count(), " s"));
    }
    state = channel.GetState(/*try_to_connect=*/true);
  }
  return absl::OkStatus();
}

}  // namespace deltascope::cli
