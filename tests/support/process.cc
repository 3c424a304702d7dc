#include "tests/support/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "daemon/util/subprocess.h"

extern char** environ;

namespace deltascope::testing {

namespace {

// Everything a child needs to exec, prepared before fork (no allocation after it).
class ExecImage {
 public:
  ExecImage(const std::vector<std::string>& argv, const RunOptions& options)
      : args_(argv), options_(options) {
    for (char** e = environ; *e; ++e) env_.emplace_back(*e);
    for (const std::string& e : options.extra_env) env_.push_back(e);
    for (auto& e : env_) envp_.push_back(e.data());
    envp_.push_back(nullptr);
    for (auto& a : args_) argvp_.push_back(a.data());
    argvp_.push_back(nullptr);
  }

  // In the forked child: wires stdio, own process group, cwd, optional privilege drop, exec.
  [[noreturn]] void ExecInChild(int out_fd, int err_fd) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::setpgid(0, 0);
    if (!options_.cwd.empty() && ::chdir(options_.cwd.c_str()) != 0) _exit(126);
    if (options_.as_nobody && ::geteuid() == 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(126);
    }
    ::execve(argvp_[0], argvp_.data(), envp_.data());
    _exit(127);
  }

 private:
  std::vector<std::string> args_, env_;
  std::vector<char*> argvp_, envp_;
  const RunOptions& options_;
};

}  // namespace

bool WaitUntil(const std::function<bool()>& condition, std::chrono::seconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    ::usleep(10000);
  }
  return true;
}

std::string BinPath(const std::string& name) {
  return std::string(DELTASCOPE_BIN_DIR) + "/" + name;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const RunOptions& options) {
  ProcessResult result;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  ExecImage image(argv, options);

  pid_t pid = ::fork();
  if (pid == 0) {
    image.ExecInChild(out_pipe[1], err_pipe[1]);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (!DrainPipes(
          out_pipe[0], err_pipe[0], result.out, result.err,
          std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_seconds))) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const RunOptions& options) {
  char out_tmpl[] = "/tmp/deltascope-bg-out-XXXXXX";
  char err_tmpl[] = "/tmp/deltascope-bg-err-XXXXXX";
  int out_fd = ::mkstemp(out_tmpl);
  int err_fd = ::mkstemp(err_tmpl);
  out_path_ = out_tmpl;
  err_path_ = err_tmpl;
  ExecImage image(argv, options);
  pid_ = ::fork();
  if (pid_ == 0) {
    image.ExecInChild(out_fd, err_fd);
  }
  ::close(out_fd);
  ::close(err_fd);
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::unlink(out_path_.c_str());
  ::unlink(err_path_.c_str());
}

void BackgroundProcess::Signal(int sig) const { ::kill(pid_, sig); }

int BackgroundProcess::Wait(int timeout_seconds) {
  if (reaped_) return -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    ::usleep(10000);
  }
  return -1;
}

static std::string Slurp(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

std::string BackgroundProcess::Stdout() const { return Slurp(out_path_); }
std::string BackgroundProcess::Stderr() const { return Slurp(err_path_); }

ProcessResult RunDeltascope(const std::vector<std::string>& args, const RunOptions& options) {
  std::vector<std::string> argv = {BinPath("deltascope")};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, options);
}

MeasuredRun RunDeltascopeMeasured(const std::vector<std::string>& args,
                                  const std::filesystem::path& out_file) {
  std::vector<std::string> argv = {BinPath("deltascope")};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunOptions options;
  ExecImage image(argv, options);
  MeasuredRun run;
  const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (out < 0 || devnull < 0) return run;
  const pid_t pid = ::fork();
  if (pid == 0) image.ExecInChild(out, devnull);
  ::close(out);
  ::close(devnull);
  int status = 0;
  struct rusage usage {};
  if (pid > 0 && ::wait4(pid, &status, 0, &usage) == pid && WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  }
  run.max_rss_kb = usage.ru_maxrss;
  run.out = Slurp(out_file.string());
  return run;
}

std::vector<int> ProcessesWithEnv(const std::string& marker) {
  std::vector<int> pids;
  DIR* proc = ::opendir("/proc");
  if (!proc) return pids;
  while (struct dirent* e = ::readdir(proc)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    const std::string dir = "/proc/" + std::to_string(pid);
    std::string stat = Slurp(dir + "/stat");
    if (stat.find(") Z ") != std::string::npos) continue;  // zombie: already dead
    if (Slurp(dir + "/environ").find(marker) != std::string::npos ||
        Slurp(dir + "/cmdline").find(marker) != std::string::npos) {
      pids.push_back(pid);
    }
  }
  ::closedir(proc);
  return pids;
}

int OpenFdCount(int pid) {
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!dir) return -1;
  int n = 0;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n;
}

long RssKb(int pid) {
  std::istringstream status(Slurp("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

std::string TestPluginManifest(const std::string& mode, const std::string& marker) {
  return absl::StrCat("name: bad\nversion: 1\ncommand: ", BinPath("deltascope-test-plugin"),
                      "\nenv: {BAD_MODE: ", mode, ", BAD_MARKER: ", marker,
                      "}\ncomparators:\n  - name: bad\n    extensions: [.bad]\n"
                      "limits: {call_timeout: 60s, max_instances: 1}\nsandbox: off\n");
}

}  // namespace deltascope::testing
