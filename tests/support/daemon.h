// A real deltascoped on a private Unix socket for one test, killed (with its process group) at
// the end unless the test stopped it first.
#ifndef DELTASCOPE_TESTS_SUPPORT_DAEMON_H_
#define DELTASCOPE_TESTS_SUPPORT_DAEMON_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"

namespace deltascope::testing {

// Waits until `p` has logged `message` (a JSON log line's "msg") at least `count` times, up to a
// minute (sanitizer builds on a busy machine are slow). Replaces fixed sleeps.
inline bool WaitForLog(const BackgroundProcess& p, const std::string& message, int count = 1) {
  const std::string needle = absl::StrCat("\"msg\":\"", message, "\"");
  return WaitUntil([&] {
    const std::string err = p.Stderr();
    int n = 0;
    for (size_t at = err.find(needle); at != std::string::npos; at = err.find(needle, at + 1)) ++n;
    return n >= count;
  });
}

// A port the daemon logged in its ready line, e.g. "tcp_port" for `--tcp 127.0.0.1:0` or
// "metrics_port" for `--metrics-listen 127.0.0.1:0` (0: none).
inline int LoggedPort(const BackgroundProcess& daemon, const std::string& field) {
  const std::string log = daemon.Stderr();
  const std::string needle = absl::StrCat("\"", field, "\":\"");
  const size_t at = log.find(needle);
  return at == std::string::npos ? 0 : std::atoi(log.c_str() + at + needle.size());
}

class TestDaemon {
 public:
  // Starts `deltascoped --listen unix://<socket> <extra...>` and waits for its ready line (not
  // the socket file: that appears at bind(), before the server listens on every port).
  TestDaemon(const std::filesystem::path& socket, const std::vector<std::string>& extra = {},
             const RunOptions& options = {})
      : socket_(socket.string()) {
    std::vector<std::string> argv = {BinPath("deltascoped"), "--listen", target()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<BackgroundProcess>(argv, options);
    ready_ = WaitForLog(*process_, "deltascoped ready");
  }
  bool ready() const { return ready_; }
  std::string target() const { return "unix://" + socket_; }
  BackgroundProcess& process() { return *process_; }
  int pid() const { return process_->pid(); }

 private:
  std::string socket_;
  std::unique_ptr<BackgroundProcess> process_;
  bool ready_ = false;
};

}  // namespace deltascope::testing

#endif  // DELTASCOPE_TESTS_SUPPORT_DAEMON_H_
