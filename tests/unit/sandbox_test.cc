// The sandbox's layers, verified from inside: a probe program runs under each mode and reports
// what it could do.
#include "daemon/sandbox/sandbox.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <sstream>

#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using testing::BinPath;
using testing::ScratchTree;

// Runs argv under `policy` the way the plugin host does; returns the probe's "name=value" lines.
std::map<std::string, std::string> RunProbe(const SandboxPolicy& policy,
                                            const std::vector<std::string>& argv) {
  absl::StatusOr<SandboxedCommand> cmd = PrepareSandbox(policy, argv);
  EXPECT_TRUE(cmd.ok()) << cmd.status();
  if (!cmd.ok()) return {};
  int out[2];
  EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
  std::vector<char*> args, envp;
  for (auto& a : cmd->argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& e : cmd->env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    // Through a high fd first: dup2 onto itself would keep O_CLOEXEC.
    // Both lifted before either lands: a source may sit on the other's target number.
    const int seccomp = ::fcntl(cmd->seccomp_program.get(), F_DUPFD_CLOEXEC, 64);
    const int info = ::fcntl(cmd->info_write.get(), F_DUPFD_CLOEXEC, 64);
    if (seccomp >= 0) ::dup2(seccomp, kSeccompChildFd);
    if (info >= 0) ::dup2(info, kSandboxInfoChildFd);
    ::syscall(SYS_close_range, kSandboxInfoChildFd + 1, ~0U, 0);
    if (ApplySandboxInChild(policy, *cmd) != 0) _exit(126);
    ::execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ReapSandboxInit(ReadSandboxInitPid(cmd->info_read, std::chrono::steady_clock::now()));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << ": " << text;
  std::map<std::string, std::string> result;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) result[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return result;
}

// The probe sees the 1 GiB memory limit, except in sanitizer builds, which cannot run under
// RLIMIT_AS and leave it unset (with a warning: UnenforcedMemoryLimitIsAWarning).
void ExpectMemoryLimit(const std::map<std::string, std::string>& r) {
  auto it = r.find("rlimit_as");
  ASSERT_NE(it, r.end());
  if (kMemoryLimitEnforced) {
    EXPECT_EQ(it->second, std::to_string(1ull << 30));
  } else {
    EXPECT_NE(it->second, std::to_string(1ull << 30));
  }
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.Write("content/item.csv", "a,b\n");
    t_.Write("private/secret.txt", "secret\n");
    ::setenv("DELTASCOPE_TEST_SECRET", "1", 1);
    policy_.read_only = {BinPath("sandbox_probe")};
    policy_.content = {t_ / "content"};
    policy_.env = {"PATH=/usr/bin:/bin"};
    policy_.limits.memory_bytes = 1ull << 30;
    argv_ = {BinPath("sandbox_probe"), std::to_string(::getpid()),
             (t_ / "content/item.csv").string(), (t_ / "private/secret.txt").string()};
  }
  ScratchTree t_;
  SandboxPolicy policy_;
  std::vector<std::string> argv_;
};

TEST_F(SandboxTest, EveryLayerIsReported) {
  const auto& layers = ProbeSandboxLayers();
  std::vector<std::string> names;
  for (const auto& l : layers) {
    names.push_back(l.name);
    EXPECT_FALSE(l.detail.empty()) << l.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"namespaces", "seccomp", "landlock", "no_new_privs",
                                             "rlimits", "pid_namespace"}));
}

TEST_F(SandboxTest, StandardModeConfinesThePlugin) {
  auto r = RunProbe(policy_, argv_);
  EXPECT_EQ(r["socket_inet"], "EPERM");
  EXPECT_EQ(r["socket_inet6"], "EPERM");
  EXPECT_EQ(r["socket_unix"], "ok");  // its gRPC socket
  EXPECT_NE(r["ptrace_host"], "ok");
  EXPECT_NE(r["kill_host"], "ok");
  EXPECT_EQ(r["read_content"], "ok");
  EXPECT_NE(r["read_forbidden"], "ok");
  EXPECT_NE(r["write_usr"], "ok");
  EXPECT_EQ(r["write_tmp"], "ok");  // a private tmpfs
  EXPECT_EQ(r["unshare"], "EPERM");
  ExpectMemoryLimit(r);
  EXPECT_EQ(r["secret_env"], "scrubbed");
  EXPECT_EQ(r["home"], "/tmp");
}

// "/" among the folders to show would cover the sandbox's own /dev and /tmp (a Python plugin
// aborted: "Failed to open /dev/urandom"), a relative folder would be the host's working folder:
// neither is ever bound, whatever the host's working folder is.
TEST_F(SandboxTest, RootAndRelativeFoldersAreNeverShown) {
  policy_.read_only.push_back("/");
  policy_.read_only.push_back("private");
  std::error_code ec;
  const std::filesystem::path cwd = std::filesystem::current_path(ec);
  std::filesystem::current_path(t_.root());
  auto r = RunProbe(policy_, argv_);
  std::filesystem::current_path(cwd, ec);
  EXPECT_EQ(r["read_content"], "ok");
  EXPECT_NE(r["read_forbidden"], "ok");  // private/ was named, relative to the working folder
  EXPECT_EQ(r["write_tmp"], "ok");       // the private /tmp is still the sandbox's own
}

TEST_F(SandboxTest, StrictModeSeesNoHostPath) {
  policy_.mode = SandboxMode::kStrict;
  auto r = RunProbe(policy_, argv_);
  EXPECT_NE(r["read_content"], "ok");
  EXPECT_NE(r["read_forbidden"], "ok");
  EXPECT_EQ(r["socket_inet"], "EPERM");
}

TEST_F(SandboxTest, OffModeOnlyLimits) {
  policy_.mode = SandboxMode::kOff;
  policy_.env.push_back("DELTASCOPE_TEST_SECRET=1");
  auto r = RunProbe(policy_, argv_);
  EXPECT_EQ(r["socket_inet"], "ok");
  EXPECT_EQ(r["ptrace_host"], "ok");  // what the other modes prevent: no Yama on these machines
  EXPECT_EQ(r["read_forbidden"], "ok");
  ExpectMemoryLimit(r);
}

TEST_F(SandboxTest, UnenforcedMemoryLimitIsAWarning) {
  for (SandboxMode mode : {SandboxMode::kOff, SandboxMode::kStandard}) {
    policy_.mode = mode;
    absl::StatusOr<SandboxedCommand> cmd = PrepareSandbox(policy_, argv_);
    ASSERT_TRUE(cmd.ok()) << cmd.status();
    bool warned = false;
    for (const std::string& w : cmd->warnings)
      warned |= w.find("memory limit") != std::string::npos;
    EXPECT_EQ(warned, !kMemoryLimitEnforced) << SandboxModeName(mode);
  }
}

// A plugin sees its own files, never its neighbours': /tmp/x/tool must not expose /tmp (which
// would also hide the private /tmp), nor a tool in $HOME the whole home.
TEST(ExecutableOwnPathsTest, OwnFolderPrefixAndRealFileNeverATopLevelFolder) {
  namespace fs = std::filesystem;
  using Paths = std::vector<fs::path>;
  ScratchTree t;
  const fs::path root = fs::canonical(t.root());
  t.Write("pkg/bin/tool", "");
  t.Write("loose/tool.js", "");
  EXPECT_EQ(ExecutableOwnPaths(root / "pkg/bin/tool"), (Paths{root / "pkg/bin", root / "pkg"}));
  EXPECT_EQ(ExecutableOwnPaths(root / "loose/tool.js"), (Paths{root / "loose"}));
  EXPECT_EQ(ExecutableOwnPaths(root / "loose/../loose/tool.js"), (Paths{root / "loose"}));
  // A virtualenv's interpreter: the venv (bin/ and its prefix) and the real interpreter's prefix.
  t.Mkdir("venv/bin");
  fs::create_symlink(root / "pkg/bin/tool", root / "venv/bin/python");
  EXPECT_EQ(ExecutableOwnPaths(root / "venv/bin/python"),
            (Paths{root / "venv/bin", root / "venv", root / "pkg/bin", root / "pkg"}));
  // Top-level folders and $HOME: the file alone.
  EXPECT_EQ(ExecutableOwnPaths("/tmp/some-plugin"), (Paths{"/tmp/some-plugin"}));
  EXPECT_EQ(ExecutableOwnPaths("/bin/true"), (Paths{"/bin/true", "/usr/bin", "/usr/bin/true"}));
  const char* old_home = std::getenv("HOME");
  const std::string saved = old_home ? old_home : "";
  ::setenv("HOME", (root / "loose").c_str(), 1);
  EXPECT_EQ(ExecutableOwnPaths(root / "loose/tool.js"), (Paths{root / "loose/tool.js"}));
  ::setenv("HOME", (root / "pkg").c_str(), 1);
  EXPECT_EQ(ExecutableOwnPaths(root / "pkg/bin/tool"),
            (Paths{root / "pkg/bin", root / "pkg/bin/tool"}));
  ::setenv("HOME", root.c_str(), 1);
  t.Write(".local/bin/tool", "");
  EXPECT_EQ(ExecutableOwnPaths(root / ".local/bin/tool"),
            (Paths{root / ".local/bin", root / ".local/bin/tool"}));
  if (old_home) {
    ::setenv("HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("HOME");
  }
}

TEST(SandboxModeTest, Parse) {
  EXPECT_EQ(*ParseSandboxMode("strict"), SandboxMode::kStrict);
  EXPECT_FALSE(ParseSandboxMode("lax").ok());
  EXPECT_NE(std::string(ParseSandboxMode("lax").status().message()).find("strict, standard or off"),
            std::string::npos);
}

}  // namespace
}  // namespace deltascope
