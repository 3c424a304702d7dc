// Running a short helper program to completion and capturing its output.
#ifndef DELTASCOPE_DAEMON_UTIL_SUBPROCESS_H_
#define DELTASCOPE_DAEMON_UTIL_SUBPROCESS_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace deltascope {

struct CommandOutput {
  int exit_code = -1;  // -1 when killed by a signal or the timeout
  std::string out;
  std::string err;
};

// Reads `out_fd` and `err_fd` (the read ends of a child's stdout and stderr pipes) into `out`
// and `err` until both reach their end, or `deadline` passes (then false). Does not close them.
bool DrainPipes(int out_fd, int err_fd, std::string& out, std::string& err,
                std::chrono::steady_clock::time_point deadline);

// Runs argv (argv[0] a path or a name on PATH) with stdin from /dev/null; kills it after
// `timeout`. Fails only when it cannot be started.
absl::StatusOr<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_UTIL_SUBPROCESS_H_
