// Running real programs from tests: the deltascope binary, plugins, helper scripts.
#ifndef DELTASCOPE_TESTS_SUPPORT_PROCESS_H_
#define DELTASCOPE_TESTS_SUPPORT_PROCESS_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace deltascope::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

struct RunOptions {
  std::filesystem::path cwd;           // empty: inherit
  std::vector<std::string> extra_env;  // "NAME=value", added to the environment
  bool as_nobody = false;              // drop to uid/gid 65534 when running as root
  int timeout_seconds = 120;           // SIGKILL past this
};

// Runs argv[0] (a path) with the arguments, capturing stdout and stderr.
ProcessResult RunProcess(const std::vector<std::string>& argv, const RunOptions& options = {});

// Polls `condition` (every 10 ms) until it holds or `deadline` passes, and returns its last value:
// for what a test cannot be told of (a process gone, a socket closed), never a fixed sleep. The
// minute allows for sanitizer builds on a busy machine; a passing test never waits that long.
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::seconds deadline = std::chrono::seconds(60));

// Path of a binary built by this project (build/bin/NAME).
std::string BinPath(const std::string& name);

// A manifest for deltascope-test-plugin (comparator "bad", claims .bad) in BAD_MODE `mode`,
// carrying BAD_MARKER `marker`: one instance, a 60 s call timeout, no sandbox.
std::string TestPluginManifest(const std::string& mode, const std::string& marker);

// A process running in the background (its own process group), killed and reaped on
// destruction. Its output goes to files so it can never block on a full pipe.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv, const RunOptions& options = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  int pid() const { return pid_; }
  // Sends `sig` to the process.
  void Signal(int sig) const;
  // Waits up to `timeout_seconds` for it to exit; its exit code, or -1 (signal or timeout).
  int Wait(int timeout_seconds);
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  int pid_ = -1;
  bool reaped_ = false;
  std::string out_path_, err_path_;
};

// Runs build/bin/deltascope with `args`.
ProcessResult RunDeltascope(const std::vector<std::string>& args, const RunOptions& options = {});

// A run of build/bin/deltascope whose standard output went to a file, with its peak RSS.
struct MeasuredRun {
  int exit_code = -1;  // -1 when killed by a signal
  long max_rss_kb = 0;
  std::string out;
};
// Runs build/bin/deltascope with `args`, standard output to `out_file` (standard error dropped),
// and reads its peak RSS from wait4().
MeasuredRun RunDeltascopeMeasured(const std::vector<std::string>& args,
                                  const std::filesystem::path& out_file);

// --- Watching processes through /proc (leak checks) ---

// Pids of live (not zombie) processes whose environment or command line contains `marker`: how
// tests find every process a plugin started, grandchildren and escaped ones (even those that
// cleared their environment) included.
std::vector<int> ProcessesWithEnv(const std::string& marker);
// Number of open file descriptors of `pid` (-1 when it cannot be read).
int OpenFdCount(int pid);
// Resident set size of `pid` in KiB (-1 when it cannot be read).
long RssKb(int pid);

}  // namespace deltascope::testing

#endif  // DELTASCOPE_TESTS_SUPPORT_PROCESS_H_
