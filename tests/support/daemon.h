// A real deltascoped on a private Unix socket for one test, killed (with its process group) at
// the end unless the test stopped it first.
#ifndef DELTASCOPE_TESTS_SUPPORT_DAEMON_H_
#define DELTASCOPE_TESTS_SUPPORT_DAEMON_H_

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace deltascope::testing {

class TestDaemon {
 public:
  // Starts `deltascoped --listen unix://<socket> <extra...>` and waits (up to 5 s) for the socket.
  TestDaemon(const std::filesystem::path& socket, const std::vector<std::string>& extra = {},
             const RunOptions& options = {})
      : socket_(socket.string()) {
    std::vector<std::string> argv = {BinPath("deltascoped"), "--listen", target()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<BackgroundProcess>(argv, options);
    for (int i = 0; i < 500 && !std::filesystem::exists(socket_); ++i) ::usleep(10000);
  }
  std::string target() const { return "unix://" + socket_; }
  BackgroundProcess& process() { return *process_; }
  int pid() const { return process_->pid(); }

 private:
  std::string socket_;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace deltascope::testing

#endif  // DELTASCOPE_TESTS_SUPPORT_DAEMON_H_
