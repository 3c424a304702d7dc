// One running plugin process: spawned from a single long-lived thread (so PR_SET_PDEATHSIG
// holds), in a session of its own (no controlling terminal), its stdout/stderr read line by line
// into the host's log, its handshake read from a private pipe, its descendants tracked by a token
// in their environment and, once re-parented to the host, by their session, so that nothing it
// started outlives it. Its socket is its own: inside its sandbox's private /tmp, which no other
// plugin can see, and the host checks who answers on it.
#ifndef DELTASCOPE_DAEMON_PLUGIN_PROCESS_H_
#define DELTASCOPE_DAEMON_PLUGIN_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/plugin/stderr_tail.h"
#include "daemon/sandbox/sandbox.h"
#include "daemon/util/fd.h"

namespace deltascope {

// Receives every line a plugin prints: (plugin, instance, "stdout"|"stderr", line).
using PluginLogSink = std::function<void(const std::string&, int, const char*, const std::string&)>;

struct ProcessSpec {
  std::string plugin;  // for logs and errors
  int instance = 0;
  std::vector<std::string> argv;  // argv[0] absolute
  std::vector<std::string> env;   // complete environment, "NAME=value"
  SandboxPolicy sandbox;
  // Where an unsandboxed instance's socket goes (private, 0700). A sandboxed one listens in its
  // own /tmp instead.
  std::filesystem::path runtime_dir;
  std::chrono::milliseconds startup_timeout{10000};
  PluginLogSink log;
};

class PluginProcess {
 public:
  // Starts the process and waits for its handshake line. Errors name the plugin and the reason
  // (executable missing, start-up timeout, exited with status N, wrong protocol version...).
  static absl::StatusOr<std::unique_ptr<PluginProcess>> Start(const ProcessSpec& spec);
  // Kills the process group and every descendant, and reaps them.
  ~PluginProcess();

  pid_t pid() const { return pid_; }
  int protocol_version() const { return protocol_version_; }
  // The socket path as the plugin sees it (DELTASCOPE_PLUGIN_SOCKET).
  const std::string& socket() const { return socket_; }

  // A connection to the plugin's socket, made by the host itself: the socket must still be a
  // socket (not a link planted in its place) and be served by this process or a descendant of
  // it, or the connection is refused with PermissionDenied.
  absl::StatusOr<UniqueFd> Connect() const;
  const std::vector<std::string>& sandbox_warnings() const { return sandbox_warnings_; }

  // True once the process has exited; `how` says how ("killed by signal SIGSEGV", "exit 3").
  bool Exited(std::string* how);
  // Waits up to `timeout` for the process to exit by itself.
  bool WaitForExit(std::chrono::milliseconds timeout, std::string* how);
  // SIGKILL to the process group and to every process carrying this instance's token.
  void Kill();
  // SIGKILL to the process group, then reaps the process: no /proc sweep, so it costs
  // microseconds (the deadline path). The destructor still sweeps for escaped descendants.
  void KillGroupAndReap();
  // The first crash-report lines and the last lines the plugin wrote to stderr, joined with
  // " | " (StderrTail::Summary, for error reports). Waits up
  // to `drain` for the output pipes to reach end of file first (after a crash).
  std::string LastStderr(std::chrono::milliseconds drain = std::chrono::milliseconds(0)) const;

  // Kills every process on the machine whose environment carries `token` (descendants that
  // escaped the process group with setsid). Returns how many were killed.
  static int KillByToken(const std::string& token);
  // Kills the descendants of dead plugins that were re-parented to this host (a subreaper) and
  // run in another session: escaped with setsid and dropped their token. Returns how many.
  static int KillOrphans();

 private:
  PluginProcess() = default;
  void ReadOutput(UniqueFd out, UniqueFd err, UniqueFd wake);
  void Reap();
  void ReapSandbox();  // after this process is reaped

  std::string plugin_;
  int instance_ = 0;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_status_ = 0;
  std::string token_;
  std::string socket_;
  bool bwrap_ = false;       // runs under bubblewrap
  UniqueFd sandbox_info_;    // until read: see ReadSandboxInitPid
  pid_t sandbox_init_ = -1;  // the sandbox's pid 1, whose /proc root holds the socket
  int protocol_version_ = 0;
  std::vector<std::string> sandbox_warnings_;
  PluginLogSink log_;
  mutable std::mutex mu_;
  mutable std::condition_variable drained_cv_;
  bool drained_ = false;
  StderrTail stderr_tail_;  // first crash lines and last lines of stderr
  std::thread reader_;
  UniqueFd wake_;  // write end: closing it stops the reader
};

// Makes this process a child subreaper (orphaned plugin descendants are re-parented to us and
// can be reaped). Idempotent.
void BecomeSubreaper();

// On SIGINT, SIGTERM or SIGHUP: kills every plugin process of this host and everything they
// started, removes every live TempDir (TempDir::RemoveAllLive), erases the progress line (when
// standard error is a terminal) and exits with status 128 + the signal (130 for SIGINT, 143 for
// SIGTERM). For command-line runs (a daemon handles its signals itself). Idempotent.
void KillPluginsOnTerminationSignals();

// "SIGSEGV", "SIGKILL", ... for a signal number.
std::string SignalName(int sig);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_PROCESS_H_
