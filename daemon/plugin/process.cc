#include "daemon/plugin/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <queue>
#include <random>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/plugin/process_tree.h"
#include "daemon/util/temp_dir.h"

namespace deltascope {
namespace {

constexpr size_t kMaxLineBytes = 4096;
constexpr int kReadyChildFd = 3;
// Where a sandboxed plugin listens: its private /tmp, a tmpfs with a budget (sandbox.h).
constexpr char kSandboxedSocket[] = "/tmp/deltascope-plugin.sock";

std::string RandomToken() {
  std::random_device rd;
  return absl::StrCat(absl::Hex(rd(), absl::kZeroPad8), absl::Hex(rd(), absl::kZeroPad8),
                      absl::Hex(rd(), absl::kZeroPad8));
}

// Everything the child needs, laid out before fork: the child only calls async-signal-safe
// functions.
struct ChildImage {
  std::vector<std::string> args, env;
  std::vector<char*> argv, envp;
  const SandboxPolicy* policy = nullptr;
  const SandboxedCommand* command = nullptr;
  int ready_fd = -1, out_fd = -1, err_fd = -1;
  pid_t parent = 0;

  void Finish() {
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
  }

  [[noreturn]] void ExecInChild() const {
    ::setsid();  // its own session and process group, and no controlling terminal
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(125);  // the host died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Move every source out of the way first: a source may sit on a target number.
    auto lift = [](int fd) { return fd < 0 ? -1 : ::fcntl(fd, F_DUPFD_CLOEXEC, 64); };
    int out = lift(out_fd), err = lift(err_fd), ready = lift(ready_fd);
    int seccomp = lift(command->seccomp_program.get());
    int info = lift(command->info_write.get());
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::dup2(ready, kReadyChildFd);
    int keep = kReadyChildFd;
    if (seccomp >= 0) {
      ::dup2(seccomp, kSeccompChildFd);
      keep = kSeccompChildFd;
    }
    if (info >= 0) {
      if (seccomp < 0) ::close(kSeccompChildFd);  // no gap left holding a stray fd
      ::dup2(info, kSandboxInfoChildFd);
      keep = kSandboxInfoChildFd;
    }
    // The machine passes stray fds into every process: close everything else.
    ::syscall(SYS_close_range, keep + 1, ~0U, 0);
    if (ApplySandboxInChild(*policy, *command) != 0) _exit(124);
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
};

// Every live plugin process of this host, for the termination-signal and orphan sweeps.
struct LiveProcesses {
  std::mutex mu;
  std::map<pid_t, std::string> tokens;  // pid → token
  // Every child the spawner forked and nobody reaped yet: what the orphan sweep leaves alone.
  std::set<pid_t> children;
  static LiveProcesses& Get() {
    static LiveProcesses* live = new LiveProcesses();  // used until the very end: never freed
    return *live;
  }
};

// Forks from one long-lived thread: PR_SET_PDEATHSIG fires when the *thread* that forked the
// child exits, so children must never be forked from short-lived worker threads.
class Spawner {
 public:
  static Spawner& Get() {
    static Spawner* spawner = new Spawner();  // lives for the whole process, never joined
    return *spawner;
  }

  pid_t Spawn(const ChildImage& image) {
    std::promise<pid_t> done;
    std::future<pid_t> result = done.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push({&image, &done});
    }
    cv_.notify_one();
    return result.get();
  }

 private:
  struct Request {
    const ChildImage* image;
    std::promise<pid_t>* done;
  };
  Spawner() {
    std::thread([this] { Loop(); }).detach();
  }
  void Loop() {
    while (true) {
      Request r;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty(); });
        r = queue_.front();
        queue_.pop();
      }
      // Registered before anyone can sweep: the child is in a session of its own at once.
      pid_t pid;
      {
        std::lock_guard<std::mutex> live(LiveProcesses::Get().mu);
        pid = ::fork();
        if (pid == 0) r.image->ExecInChild();
        if (pid > 0) LiveProcesses::Get().children.insert(pid);
      }
      r.done->set_value(pid);
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::queue<Request> queue_;
};

int g_signal_pipe_write = -1;
// Set once a terminating signal is being handled: from then on only the thread handling it ends
// the process, after its cleanup, with 128 + the signal.
std::atomic<bool> g_terminating{false};

// At exit(): a run that ends while the signal is handled (its plugin calls fail as soon as the
// plugins are killed) must not exit first, with its own status and the cleanup cut short.
void WaitWhileTerminating() {
  while (g_terminating.load()) ::pause();
}

void OnTerminationSignal(int sig) {
  const unsigned char byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = ::write(g_signal_pipe_write, &byte, 1);
}

// `bwrap`: bubblewrap relays a command killed by signal N as its own exit status 128 + N.
std::string DescribeExit(int status, bool bwrap) {
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", SignalName(WTERMSIG(status)));
  if (!WIFEXITED(status)) return "stopped";
  const int code = WEXITSTATUS(status);
  if (bwrap && code > 128 && code - 128 < NSIG) {
    return absl::StrCat("killed by signal ", SignalName(code - 128), " (exit status ", code,
                        " from the sandbox)");
  }
  return absl::StrCat("exited with status ", code);
}

}  // namespace

std::string SignalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", sig);
}

void BecomeSubreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }

void KillPluginsOnTerminationSignals() {
  static std::once_flag once;
  std::call_once(once, [] {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    g_signal_pipe_write = fds[1];
    std::atexit(WaitWhileTerminating);
    // The handler only writes a byte; this thread does the work outside signal context.
    std::thread([read_fd = fds[0]] {
      unsigned char sig = 0;
      while (::read(read_fd, &sig, 1) != 1) {
      }
      g_terminating = true;
      {
        std::lock_guard<std::mutex> lock(LiveProcesses::Get().mu);
        for (const auto& [pid, token] : LiveProcesses::Get().tokens) {
          ::kill(-pid, SIGKILL);
          ::kill(pid, SIGKILL);
          PluginProcess::KillByToken(token);
        }
        // Every child of ours dies too, token or not (one forked a moment ago, a helper): the
        // waits below must not block on a process nobody killed.
        for (pid_t pid : LiveProcesses::Get().children) {
          ::kill(-pid, SIGKILL);
          ::kill(pid, SIGKILL);
        }
        // Once they are gone, what they started without their token is re-parented to us.
        for (pid_t pid : LiveProcesses::Get().children) ::waitpid(pid, nullptr, 0);
        LiveProcesses::Get().children.clear();
      }
      PluginProcess::KillOrphans();
      TempDir::RemoveAllLive();  // scratch, extracted archives, plugin runtime folders
      if (::isatty(STDERR_FILENO)) {
        [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, "\r\033[K", 4);  // the progress line
      }
      ::_exit(128 + sig);  // the shell's convention: 130 for SIGINT, 143 for SIGTERM
    }).detach();
    struct sigaction action = {};
    action.sa_handler = OnTerminationSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &action, nullptr);
  });
}

absl::StatusOr<std::unique_ptr<PluginProcess>> PluginProcess::Start(const ProcessSpec& spec) {
  const std::string& exe = spec.argv.at(0);
  if (::access(exe.c_str(), F_OK) != 0) {
    return absl::NotFoundError(
        absl::StrCat("plugin ", spec.plugin, ": executable ", exe, " is missing"));
  }
  if (::access(exe.c_str(), X_OK) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("plugin ", spec.plugin, ": executable ", exe, " is not executable"));
  }
  std::unique_ptr<PluginProcess> p(new PluginProcess());
  p->plugin_ = spec.plugin;
  p->instance_ = spec.instance;
  p->log_ = spec.log;
  p->token_ = RandomToken();

  SandboxPolicy policy = spec.sandbox;
  p->bwrap_ = UsesBubblewrap(policy.mode);
  // Sandboxed: in its own /tmp, which only it sees. Otherwise in the host's private folder.
  p->socket_ =
      p->bwrap_
          ? std::string(kSandboxedSocket)
          : (spec.runtime_dir / absl::StrCat(spec.plugin, "-", spec.instance, ".sock")).string();
  policy.env = spec.env;
  policy.env.push_back(absl::StrCat("DELTASCOPE_PLUGIN_SOCKET=", p->socket_));
  policy.env.push_back(absl::StrCat("DELTASCOPE_PLUGIN_READY_FD=", kReadyChildFd));
  policy.env.push_back(absl::StrCat("DELTASCOPE_PLUGIN_TOKEN=", p->token_));
  absl::StatusOr<SandboxedCommand> command = PrepareSandbox(policy, spec.argv);
  if (!command.ok()) return command.status();
  p->sandbox_warnings_ = command->warnings;

  int ready[2], out[2], err[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
      ::pipe2(err, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  UniqueFd ready_r(ready[0]), ready_w(ready[1]), out_r(out[0]), out_w(out[1]), err_r(err[0]),
      err_w(err[1]);
  ChildImage image;
  image.args = command->argv;
  image.env = command->env;
  image.policy = &policy;
  image.command = &*command;
  image.ready_fd = ready_w.get();
  image.out_fd = out_w.get();
  image.err_fd = err_w.get();
  image.parent = ::getpid();
  image.Finish();
  p->pid_ = Spawner::Get().Spawn(image);
  if (p->pid_ < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  {
    std::lock_guard<std::mutex> lock(LiveProcesses::Get().mu);
    LiveProcesses::Get().tokens[p->pid_] = p->token_;
  }
  ready_w.Reset();
  out_w.Reset();
  err_w.Reset();
  command->info_write.Reset();
  p->sandbox_info_ = std::move(command->info_read);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  p->wake_.Reset(wake[1]);
  UniqueFd wake_r(wake[0]);
  PluginProcess* raw = p.get();
  p->reader_ = std::thread(
      [raw, o = std::move(out_r), e = std::move(err_r), w = std::move(wake_r)]() mutable {
        raw->ReadOutput(std::move(o), std::move(e), std::move(w));
      });

  // The handshake: one line on the ready pipe within the start-up timeout.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + spec.startup_timeout;
  bool eof = false;
  while (line.find('\n') == std::string::npos && !eof) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    pollfd pfd = {ready_r.get(), POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[512];
    ssize_t n = ::read(ready_r.get(), buf, sizeof(buf));
    if (n <= 0) {
      eof = true;
    } else {
      line.append(buf, static_cast<size_t>(n));
      if (line.size() > 4096) break;
    }
  }
  auto fail = [&](absl::Status status) -> absl::StatusOr<std::unique_ptr<PluginProcess>> {
    std::string how;
    p->Kill();
    p->WaitForExit(std::chrono::milliseconds(500), &how);
    std::string tail = p->LastStderr();
    return absl::Status(status.code(),
                        absl::StrCat(status.message(), tail.empty() ? "" : "; stderr: ", tail));
  };
  if (line.find('\n') == std::string::npos) {
    if (eof) {
      std::string how = "closed the handshake pipe without a line";
      p->WaitForExit(std::chrono::milliseconds(1000), &how);
      return fail(
          absl::UnavailableError(absl::StrCat("plugin ", spec.plugin, ": failed to start: ", how)));
    }
    return fail(absl::DeadlineExceededError(absl::StrCat("plugin ", spec.plugin,
                                                         ": start-up timeout: no handshake within ",
                                                         spec.startup_timeout.count(), " ms")));
  }
  line.resize(line.find('\n'));
  std::vector<std::string> fields = absl::StrSplit(line, '|');
  int version = -1;
  if (fields.size() != 5 || fields[0] != "deltascope-plugin" ||
      !absl::SimpleAtoi(fields[1], &version) || fields[2] != "unix" || fields[4] != "grpc") {
    return fail(absl::InvalidArgumentError(absl::StrCat(
        "plugin ", spec.plugin, ": malformed handshake line '", line.substr(0, 200), "'")));
  }
  if (version != 1) {
    return fail(absl::FailedPreconditionError(absl::StrCat("plugin ", spec.plugin,
                                                           ": incompatible protocol version ",
                                                           version, " (this host speaks 1)")));
  }
  if (fields[3] != p->socket_) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat("plugin ", spec.plugin, ": handshake names socket ", fields[3].substr(0, 200),
                     ", expected ", p->socket_)));
  }
  if (p->bwrap_) {
    p->sandbox_init_ = ReadSandboxInitPid(p->sandbox_info_, deadline);
    if (p->sandbox_init_ < 0) {
      return fail(absl::InternalError(
          absl::StrCat("plugin ", spec.plugin, ": bubblewrap did not report the sandbox's pid")));
    }
  }
  p->protocol_version_ = version;
  return p;
}

void PluginProcess::ReadOutput(UniqueFd out, UniqueFd err, UniqueFd wake) {
  pollfd fds[3] = {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
  const char* names[2] = {"stdout", "stderr"};
  std::string partial[2];
  char buf[8192];
  int open_count = 2;
  auto emit = [&](int i, std::string line) {
    if (line.size() > kMaxLineBytes) line.resize(kMaxLineBytes);
    if (i == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      stderr_tail_.Add(line);
    }
    if (log_) log_(plugin_, instance_, names[i], line);
  };
  while (open_count > 0) {
    int r = ::poll(fds, 3, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    // The owner is going away and a descendant that escaped still holds the pipes: stop.
    bool stop = fds[2].revents & (POLLHUP | POLLERR | POLLIN);
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        if (!partial[i].empty()) emit(i, std::move(partial[i]));
        fds[i].fd = -1;
        --open_count;
        continue;
      }
      partial[i].append(buf, static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = partial[i].find('\n', start)) != std::string::npos; start = nl + 1) {
        emit(i, partial[i].substr(start, nl - start));
      }
      partial[i].erase(0, start);
      // A flood without newlines is cut into bounded lines, never buffered without limit.
      if (partial[i].size() > kMaxLineBytes) {
        emit(i, partial[i]);
        partial[i].clear();
      }
    }
    if (stop) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  drained_ = true;
  drained_cv_.notify_all();
}

bool PluginProcess::Exited(std::string* how) {
  if (!reaped_) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    reaped_ = true;
    exit_status_ = status;
    ReapSandbox();
  }
  if (how) *how = DescribeExit(exit_status_, bwrap_);
  return true;
}

bool PluginProcess::WaitForExit(std::chrono::milliseconds timeout, std::string* how) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!Exited(how)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ::usleep(2000);
  }
  return true;
}

void PluginProcess::Kill() {
  if (pid_ <= 0) return;
  if (!reaped_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
  }
  KillByToken(token_);
}

void PluginProcess::KillGroupAndReap() {
  if (pid_ <= 0 || reaped_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  Reap();
}

void PluginProcess::Reap() {
  if (pid_ > 0 && !reaped_) {
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) {
      reaped_ = true;
      exit_status_ = status;
      ReapSandbox();
    }
  }
}

void PluginProcess::ReapSandbox() {
  if (sandbox_init_ < 0) {
    sandbox_init_ = ReadSandboxInitPid(sandbox_info_, std::chrono::steady_clock::now());
  }
  ReapSandboxInit(sandbox_init_);
}

PluginProcess::~PluginProcess() {
  Kill();
  Reap();
  if (pid_ > 0) {
    std::lock_guard<std::mutex> lock(LiveProcesses::Get().mu);
    LiveProcesses::Get().tokens.erase(pid_);
    LiveProcesses::Get().children.erase(pid_);
  }
  KillOrphans();
  wake_.Reset();
  if (reader_.joinable()) reader_.join();
}

int PluginProcess::KillOrphans() {
  std::lock_guard<std::mutex> lock(LiveProcesses::Get().mu);
  const std::set<pid_t>& known = LiveProcesses::Get().children;
  int total = 0;
  for (int pass = 0; pass < 64; ++pass) {
    const int killed =
        KillOrphansInOtherSessions([&known](pid_t pid) { return known.count(pid) > 0; });
    if (killed == 0) break;
    total += killed;
  }
  return total;
}

absl::StatusOr<UniqueFd> PluginProcess::Connect() const {
  // A sandboxed socket is reached through the sandbox's root; O_NOFOLLOW: a link the plugin put
  // in its place would resolve against the host's root.
  const std::string path =
      bwrap_ ? absl::StrCat("/proc/", sandbox_init_, "/root", socket_) : socket_;
  const auto refuse = [&](const std::string& why) {
    return absl::PermissionDeniedError(
        absl::StrCat("plugin ", plugin_, ": socket ", socket_, " ", why));
  };
  UniqueFd node(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!node.valid()) {
    return absl::UnavailableError(absl::StrCat("plugin ", plugin_, ": cannot open socket ", socket_,
                                               ": ", std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(node.get(), &st) != 0 || !S_ISSOCK(st.st_mode)) return refuse("is not a socket");
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  const std::string via = absl::StrCat("/proc/self/fd/", node.get());
  std::memcpy(addr.sun_path, via.c_str(), via.size() + 1);
  int rc;
  while ((rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr))) != 0 &&
         errno == EINTR) {
  }
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("plugin ", plugin_, ": cannot connect to ", socket_,
                                               ": ", std::strerror(errno)));
  }
  ucred peer = {};
  socklen_t len = sizeof(peer);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) {
    return refuse(absl::StrCat("has no peer credentials: ", std::strerror(errno)));
  }
  if (!IsSelfOrDescendant(peer.pid, pid_)) {
    return refuse(
        absl::StrCat("is served by process ", peer.pid, ", which the host did not start"));
  }
  return fd;
}

std::string PluginProcess::LastStderr(std::chrono::milliseconds drain) const {
  std::unique_lock<std::mutex> lock(mu_);
  drained_cv_.wait_for(lock, drain, [&] { return drained_; });
  return stderr_tail_.Summary();
}

int PluginProcess::KillByToken(const std::string& token) {
  if (token.empty()) return 0;
  const std::string needle = absl::StrCat("DELTASCOPE_PLUGIN_TOKEN=", token);
  // A process forked while a pass was reading /proc can land behind its cursor: sweep again
  // until a pass finds nothing (a killed process cannot fork, so this ends quickly).
  int total = 0;
  for (int pass = 0; pass < 8; ++pass) {
    const int killed = KillByEnvironmentEntry(needle);
    if (killed == 0) break;
    total += killed;
  }
  return total;
}

}  // namespace deltascope
