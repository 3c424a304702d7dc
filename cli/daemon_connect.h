// How the CLI's client mode connects to deltascoped, and why it could not, in one line: a
// refused connection fails at once (no waiting out a timeout), and gRPC's own log lines (a
// refused TLS handshake is three raw lines) are never printed but explain the failure instead.
#ifndef DELTASCOPE_CLI_DAEMON_CONNECT_H_
#define DELTASCOPE_CLI_DAEMON_CONNECT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>

#include "absl/status/status.h"

namespace deltascope::cli {

// Connects to the Unix socket at `path` and hangs up: OK when something accepts, else
// UNAVAILABLE saying why, naming `path` (no socket, nothing listening, permission denied).
absl::Status ProbeUnixSocket(const std::string& path);

// Waits until `channel` is connected; fails as soon as the first attempt does (UNAVAILABLE
// with the cause: connection refused, the TLS handshake and why, the connection closed during
// setup), or after `patience` without an answer. `tls`: whether the client uses TLS (for the
// hints). The message starts with what went wrong; callers prefix the target.
absl::Status WaitUntilConnected(grpc::Channel& channel, bool tls, std::chrono::seconds patience);

}  // namespace deltascope::cli

#endif  // DELTASCOPE_CLI_DAEMON_CONNECT_H_
