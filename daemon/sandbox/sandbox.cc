#include "daemon/sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace deltascope {
namespace {

// Landlock ABI ≥ 6 ruleset attributes; Debian 12's header predates the net and scope fields.
struct LandlockRulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};
constexpr uint64_t kLandlockNetBindTcp = 1ULL << 0;
constexpr uint64_t kLandlockNetConnectTcp = 1ULL << 1;
constexpr uint64_t kLandlockScopeAbstractUnixSocket = 1ULL << 0;
constexpr uint64_t kLandlockScopeSignal = 1ULL << 1;
constexpr uint32_t kLandlockCreateRulesetVersion = 1U << 0;

int LandlockAbi() {
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, kLandlockCreateRulesetVersion);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

// Syscalls no comparator needs and a hostile one could abuse.
constexpr const char* kDeniedSyscalls[] = {
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "bpf",
    "keyctl",
    "add_key",
    "request_key",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "setns",
    "unshare",
    "perf_event_open",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "acct",
    "quotactl",
    "syslog",
    "iopl",
    "ioperm",
    "settimeofday",
    "clock_settime",
    "adjtimex",
    "fanotify_init",
    "lookup_dcookie",
    "vhangup",
};

// Compiles the seccomp policy to a BPF program: denied syscalls and IP/packet sockets fail with
// EPERM (a clean error the plugin can report), everything else is allowed. With `deny_fork`,
// creating processes fails too (fork, vfork, clone without CLONE_THREAD); clone3 answers ENOSYS,
// since its flags cannot be inspected, and C libraries then fall back to clone for threads.
absl::StatusOr<std::string> CompileSeccompPolicy(bool deny_fork) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return absl::InternalError("seccomp_init failed");
  struct Release {
    scmp_filter_ctx ctx;
    ~Release() { seccomp_release(ctx); }
  } release{ctx};
  for (const char* name : kDeniedSyscalls) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) != 0) {
      return absl::InternalError(absl::StrCat("seccomp rule for ", name, " failed"));
    }
  }
  for (int family : {AF_INET, AF_INET6, AF_PACKET}) {
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
                         SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family))) != 0) {
      return absl::InternalError("seccomp socket rule failed");
    }
  }
  if (deny_fork) {
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(fork), 0);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(vfork), 0);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc != 0) return absl::InternalError("seccomp process rules failed");
  }
  int memfd = ::memfd_create("deltascope-seccomp", MFD_CLOEXEC);
  if (memfd < 0) return absl::InternalError(absl::StrCat("memfd_create: ", std::strerror(errno)));
  UniqueFd fd(memfd);
  if (seccomp_export_bpf(ctx, fd.get()) != 0) return absl::InternalError("seccomp export failed");
  std::string program;
  ::lseek(fd.get(), 0, SEEK_SET);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof(buf))) > 0) program.append(buf, static_cast<size_t>(n));
  return program;
}

const std::string* SeccompProgram(bool deny_fork, std::string* error) {
  static std::once_flag once;
  static absl::StatusOr<std::string> programs[2] = {absl::UnknownError("unset"),
                                                    absl::UnknownError("unset")};
  std::call_once(once, [] {
    programs[0] = CompileSeccompPolicy(false);
    programs[1] = CompileSeccompPolicy(true);
  });
  const absl::StatusOr<std::string>& program = programs[deny_fork ? 1 : 0];
  if (!program.ok()) {
    *error = std::string(program.status().message());
    return nullptr;
  }
  return &*program;
}

// The pipe bwrap writes its info to (--info-fd): close-on-exec, the read end non-blocking (read
// once bwrap has exited, by ReapSandboxInit).
bool OpenInfoPipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  return ::fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0;
}

// The compiled seccomp program in a sealed-off memfd, read from offset 0 by the child.
absl::Status WriteSeccompProgram(const std::string& program, UniqueFd& out) {
  const int memfd = ::memfd_create("deltascope-seccomp", MFD_CLOEXEC);
  if (memfd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot load the seccomp filter: memfd_create: ", std::strerror(errno)));
  }
  out.Reset(memfd);
  if (absl::Status s = WriteFully(memfd, program); !s.ok()) return s;
  ::lseek(memfd, 0, SEEK_SET);
  return absl::OkStatus();
}

// True when bubblewrap can create the namespaces here (user namespaces may be disabled).
bool BwrapWorks(std::string* why) {
  const char* bwrap = "/usr/bin/bwrap";
  if (::access(bwrap, X_OK) != 0) {
    *why = "bubblewrap is not installed (apt-get install bubblewrap)";
    return false;
  }
  UniqueFd info_read, info_write;
  if (!OpenInfoPipe(info_read, info_write)) {
    *why = "pipe failed";
    return false;
  }
  const std::string info_fd = std::to_string(kSandboxInfoChildFd);
  pid_t pid = ::fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    // Through a high fd: dup2 onto itself (the pipe may sit on that number) keeps O_CLOEXEC.
    ::dup2(::fcntl(info_write.get(), F_DUPFD_CLOEXEC, 64), kSandboxInfoChildFd);
    ::execl(bwrap, bwrap, "--unshare-all", "--die-with-parent", "--info-fd", info_fd.c_str(),
            "--ro-bind", "/", "/", "--", "/bin/true", nullptr);
    _exit(127);
  }
  info_write.Reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ReapSandboxInit(ReadSandboxInitPid(info_read, std::chrono::steady_clock::now()));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  *why = "bubblewrap cannot create namespaces here (unprivileged user namespaces disabled?)";
  return false;
}

std::vector<LayerStatus> Probe() {
  std::vector<LayerStatus> layers;
  std::string why;
  bool bwrap = BwrapWorks(&why);
  layers.push_back(
      {"namespaces", bwrap,
       bwrap ? "bubblewrap: user, pid, net (empty), ipc, uts and mount namespaces" : why});
  std::string seccomp_error;
  bool seccomp = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 && SeccompProgram(false, &seccomp_error);
  layers.push_back({"seccomp", seccomp,
                    seccomp ? "ptrace, mount, bpf, keyctl, kexec, modules, setns, unshare, "
                              "IP and packet sockets denied (EPERM); fork denied unless "
                              "limits.processes > 1"
                            : absl::StrCat("seccomp unavailable: ", seccomp_error)});
  int abi = LandlockAbi();
  layers.push_back({"landlock", abi >= 6,
                    abi >= 6 ? absl::StrCat("ABI ", abi, ": TCP bind/connect denied, signals and ",
                                            "abstract sockets scoped to the sandbox")
                    : abi >= 4
                        ? absl::StrCat("ABI ", abi, ": TCP denial only (scoping needs ABI 6)")
                        : absl::StrCat("Landlock ABI ", abi, " (need 4 or more)")});
  layers.push_back({"no_new_privs", true, "setuid binaries cannot raise privileges"});
  layers.push_back(
      {"rlimits", true,
       kMemoryLimitEnforced
           ? "memory (address space), CPU seconds, open files, file size"
           : "CPU seconds, open files, file size (memory not enforced: sanitizer build)"});
  bool pid_ns = bwrap;
  layers.push_back({"pid_namespace", pid_ns,
                    pid_ns ? "the plugin cannot see or signal host processes"
                           : "no pid namespace: the plugin can see host processes"});
  return layers;
}

void AddBind(std::vector<std::string>& argv, const char* kind, const std::filesystem::path& p) {
  // A relative path would be the host's working folder's (never shown); "/" would cover the
  // sandbox's own /dev, /proc and /tmp (Python aborts: "Failed to open /dev/urandom").
  if (!p.is_absolute() || p.relative_path().empty()) return;
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return;
  argv.insert(argv.end(), {kind, p.string(), p.string()});
}

// Sanitizer builds: see kSanitizerReportsEnv.
void AddSanitizerEnv(std::vector<std::string>& env) {
  if (!kSanitizerBuild) return;
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"}) {
    const char* value = std::getenv(name);
    const std::string prefix = absl::StrCat(name, "=");
    if (value == nullptr || std::any_of(env.begin(), env.end(), [&](const std::string& kv) {
          return absl::StartsWith(kv, prefix);
        })) {
      continue;
    }
    env.push_back(absl::StrCat(name, "=", value,
                               std::string_view(name) == "ASAN_OPTIONS" ? ":detect_leaks=0" : ""));
  }
}

// Sanitizer builds: the suppressions files named in *SAN_OPTIONS, which the sanitizer runtime
// in a sandboxed plugin must be able to read (it aborts at start-up otherwise).
std::vector<std::string> SanitizerSuppressionFiles() {
  std::vector<std::string> files;
  if (!kSanitizerBuild) return files;
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS"}) {
    const char* value = std::getenv(name);
    if (value == nullptr) continue;
    for (absl::string_view option : absl::StrSplit(value, ':')) {
      if (absl::ConsumePrefix(&option, "suppressions=") && !option.empty()) {
        files.emplace_back(option);
      }
    }
  }
  return files;
}

}  // namespace

absl::StatusOr<SandboxMode> ParseSandboxMode(const std::string& name) {
  if (name == "off") return SandboxMode::kOff;
  if (name == "standard") return SandboxMode::kStandard;
  if (name == "strict") return SandboxMode::kStrict;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown sandbox mode '", name, "' (expected strict, standard or off)"));
}

const char* SandboxModeName(SandboxMode mode) {
  switch (mode) {
    case SandboxMode::kOff:
      return "off";
    case SandboxMode::kStandard:
      return "standard";
    case SandboxMode::kStrict:
      return "strict";
  }
  return "off";
}

ResourceLimits DefaultResourceLimits(SandboxMode mode) {
  ResourceLimits limits;
  if (mode == SandboxMode::kOff) return limits;
  limits.memory_bytes = kMemoryLimitEnforced ? 4ULL << 30 : 0;
  limits.file_size_bytes = 1ULL << 30;
  limits.processes = 1;
  return limits;
}

bool UsesBubblewrap(SandboxMode mode) {
  return mode != SandboxMode::kOff && ProbeSandboxLayers()[0].active;
}

uint64_t SandboxTmpBytes(const ResourceLimits& limits) {
  return limits.memory_bytes != 0 ? limits.memory_bytes : 1ULL << 30;
}

const std::vector<LayerStatus>& ProbeSandboxLayers() {
  static const std::vector<LayerStatus> layers = Probe();
  return layers;
}

SandboxMode StricterSandbox(SandboxMode a, SandboxMode b) {
  const auto rank = [](SandboxMode m) {
    return m == SandboxMode::kStrict ? 2 : m == SandboxMode::kStandard ? 1 : 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

bool ShowableFolder(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const char* home_env = std::getenv("HOME");
  const fs::path home = home_env && *home_env ? fs::weakly_canonical(home_env, ec) : fs::path();
  return std::distance(dir.begin(), dir.end()) > 2 &&
         (home.empty() || (dir != home && dir != home / ".local"));  // pip install --user
}

std::vector<std::filesystem::path> ExecutableOwnPaths(const std::filesystem::path& command) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> exes = {fs::absolute(command, ec).lexically_normal()};
  if (fs::path real = fs::canonical(command, ec); !ec && real != exes[0]) exes.push_back(real);
  std::vector<fs::path> out;
  const auto add = [&out](const fs::path& p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const fs::path& exe : exes) {
    std::vector<fs::path> dirs = {exe.parent_path()};
    if (exe.parent_path().filename() == "bin") dirs.push_back(exe.parent_path().parent_path());
    for (const fs::path& dir : dirs) add(ShowableFolder(dir) ? dir : exe);
  }
  return out;
}

absl::StatusOr<SandboxedCommand> PrepareSandbox(const SandboxPolicy& policy,
                                                const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command");
  SandboxedCommand out;
  out.env = policy.env;
  AddSanitizerEnv(out.env);
  if (!kMemoryLimitEnforced && policy.limits.memory_bytes != 0) {
    out.warnings.push_back(
        "memory limit not enforced: RLIMIT_AS cannot coexist with a sanitizer build");
  }
  if (policy.mode == SandboxMode::kOff) {
    out.argv = argv;
    out.layers.push_back({"rlimits", true, "limits only: the plugin is trusted"});
    return out;
  }
  const std::vector<LayerStatus>& probe = ProbeSandboxLayers();
  out.layers = probe;
  for (const LayerStatus& layer : probe) {
    if (!layer.active)
      out.warnings.push_back(
          absl::StrCat("sandbox layer ", layer.name, " missing: ", layer.detail));
  }
  std::string seccomp_error;
  const std::string* program = SeccompProgram(policy.limits.processes == 1, &seccomp_error);
  bool bwrap = probe[0].active;
  if (!bwrap) {
    out.argv = argv;
    out.seccomp_in_child = program != nullptr;
    if (program) {
      // As with bubblewrap below: a probed layer that cannot be set up fails the start, loudly.
      if (absl::Status s = WriteSeccompProgram(*program, out.seccomp_program); !s.ok()) return s;
    }
    return out;
  }
  std::vector<std::string>& a = out.argv;
  a = {"/usr/bin/bwrap", "--unshare-all", "--die-with-parent",
       "--new-session",  "--cap-drop",    "ALL",
       "--clearenv",     "--proc",        "/proc",
       "--dev",          "/dev"};
  // The private /tmp and /dev/shm are memory: each gets a budget of its own.
  const uint64_t tmp_bytes = SandboxTmpBytes(policy.limits);
  a.insert(a.end(), {"--size", std::to_string(tmp_bytes), "--tmpfs", "/tmp", "--size",
                     std::to_string(std::min(tmp_bytes, kSandboxShmBytes)), "--tmpfs", "/dev/shm"});
  const bool workdir = !policy.workdir.empty() && ShowableFolder(policy.workdir);
  a.insert(a.end(), {"--chdir", workdir ? policy.workdir.string() : "/"});
  const auto& shown = policy.read_only;
  if (workdir && std::find(shown.begin(), shown.end(), policy.workdir) == shown.end()) {
    AddBind(a, "--ro-bind", policy.workdir);
  }
  // The system's shared libraries and interpreters, read-only.
  for (const char* dir : {"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/ld.so.cache",
                          "/etc/alternatives", "/etc/ssl", "/etc/localtime"}) {
    AddBind(a, "--ro-bind", dir);
  }
  for (const auto& p : policy.read_only) AddBind(a, "--ro-bind", p);
  if (policy.mode == SandboxMode::kStandard) {
    for (const auto& p : policy.content) AddBind(a, "--ro-bind", p);
  }
  if (const char* reports = std::getenv(kSanitizerReportsEnv); kSanitizerBuild && reports) {
    AddBind(a, "--bind", reports);
  }
  for (const std::string& file : SanitizerSuppressionFiles()) AddBind(a, "--ro-bind", file);
  for (const std::string& kv : out.env) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    a.insert(a.end(), {"--setenv", kv.substr(0, eq), kv.substr(eq + 1)});
  }
  a.insert(a.end(), {"--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp"});
  if (!OpenInfoPipe(out.info_read, out.info_write)) return absl::InternalError("pipe failed");
  a.insert(a.end(), {"--info-fd", std::to_string(kSandboxInfoChildFd)});
  if (program) {
    if (absl::Status s = WriteSeccompProgram(*program, out.seccomp_program); !s.ok()) return s;
    a.insert(a.end(), {"--seccomp", std::to_string(kSeccompChildFd)});
  }
  // Last, once every mount point exists: nothing outside /tmp and /dev/shm is writable (the root
  // and /dev are tmpfs without a budget of their own).
  a.insert(a.end(), {"--remount-ro", "/dev", "--remount-ro", "/"});
  a.push_back("--");
  a.insert(a.end(), argv.begin(), argv.end());
  return out;
}

pid_t ReadSandboxInitPid(UniqueFd& info_read, std::chrono::steady_clock::time_point deadline) {
  if (!info_read.valid()) return -1;
  std::string info;
  while (info.find('}') == std::string::npos && info.size() < 4096) {
    char buf[1024];
    const ssize_t n = ::read(info_read.get(), buf, sizeof(buf));
    if (n > 0) {
      info.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) break;  // end of file: bwrap is gone
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd = {info_read.get(), POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
  }
  info_read.Reset();
  const nlohmann::json parsed = nlohmann::json::parse(info, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("child-pid")) return -1;  // bwrap failed before
  const nlohmann::json& pid_value = parsed["child-pid"];
  if (!pid_value.is_number_integer() || pid_value.get<int64_t>() <= 1) return -1;
  return static_cast<pid_t>(pid_value.get<int64_t>());
}

void ReapSandboxInit(pid_t init) {
  if (init <= 1) return;
  for (int i = 0; i < 500; ++i) {
    const pid_t r = ::waitpid(init, nullptr, WNOHANG);
    if (r == init || (r < 0 && errno != EINTR)) return;  // reaped, or not our child (ECHILD)
    ::usleep(2000);
  }
}

int ApplySandboxInChild(const SandboxPolicy& policy, const SandboxedCommand& command) {
  // Unsandboxed (bwrap sets its own): best effort, a vanished folder is no reason not to start.
  if (!policy.workdir.empty()) (void)!::chdir(policy.workdir.c_str());
  auto set_limit = [](int resource, uint64_t value) {
    if (value == 0) return 0;
    struct rlimit rl = {static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
    return ::setrlimit(resource, &rl) == 0 ? 0 : errno;
  };
  if (kMemoryLimitEnforced) {
    if (int e = set_limit(RLIMIT_AS, policy.limits.memory_bytes)) return e;
  }
  if (int e = set_limit(RLIMIT_CPU, policy.limits.cpu_seconds)) return e;
  if (int e = set_limit(RLIMIT_NOFILE, policy.limits.open_files)) return e;
  if (int e = set_limit(RLIMIT_FSIZE, policy.limits.file_size_bytes)) return e;

  struct rlimit no_core = {0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  if (policy.mode == SandboxMode::kOff) return 0;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  int abi = LandlockAbi();
  if (abi >= 4) {
    LandlockRulesetAttr attr = {
        0, kLandlockNetBindTcp | kLandlockNetConnectTcp,
        abi >= 6 ? kLandlockScopeAbstractUnixSocket | kLandlockScopeSignal : 0};
    size_t size = abi >= 6 ? sizeof(attr) : offsetof(LandlockRulesetAttr, scoped);
    long ruleset = ::syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (ruleset >= 0) {
      long r = ::syscall(SYS_landlock_restrict_self, static_cast<int>(ruleset), 0);
      ::close(static_cast<int>(ruleset));
      if (r != 0) return errno;
    }
  }
  if (command.seccomp_in_child && command.seccomp_program.valid()) {
    // Read the program from the memfd into a stack buffer: no allocation after fork.
    static thread_local sock_filter filters[4096];
    ssize_t n = ::pread(command.seccomp_program.get(), filters, sizeof(filters), 0);
    if (n <= 0) return EIO;
    sock_fprog prog = {static_cast<unsigned short>(n / sizeof(sock_filter)), filters};
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) return errno;
  }
  return 0;
}

}  // namespace deltascope
