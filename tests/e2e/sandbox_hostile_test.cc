// The hostile matrix: a real plugin (tests/plugins/hostile/) attacks the host from inside the
// default sandbox: network, secrets, writes outside its tmp, a fork bomb, a 10 GiB allocation, a
// spinning CPU, ptrace and SIGKILL of a process the test owns, fd exhaustion, a setuid binary.
// Each attack must fail, the diff must complete with the item reported, and the test proves it
// independently of what the plugin says: the listener saw no connection, the secret appears
// nowhere, the files are untouched, the victim is alive and untraced, no process is left.
// As root, every attack also runs with the host dropped to an unprivileged user.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/sandbox/sandbox.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

// A TCP listener on 127.0.0.1 that must never see a connection.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }
  bool SawConnection() const {
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) ::close(c);
    return c >= 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::string StatusField(int pid, const std::string& field) {
  std::string status = ReadFile(absl::StrCat("/proc/", pid, "/status"));
  size_t at = status.find(field + ":");
  if (at == std::string::npos) return "";
  size_t start = status.find_first_not_of(" \t", at + field.size() + 1);
  return status.substr(start, status.find('\n', start) - start);
}

const Json* FindChild(const Json& changeset, const std::string& path) {
  if (!changeset.contains("root")) return nullptr;
  for (const Json& child : changeset["root"]["children"]) {
    if (child["path"] == path) return &child;
  }
  return nullptr;
}

class HostileTest : public ::testing::TestWithParam<std::tuple<std::string, bool>> {};

TEST_P(HostileTest, AttackFailsDiffCompletesNothingEscapes) {
  const auto& [attack, unprivileged] = GetParam();
  if (unprivileged && ::geteuid() != 0)
    GTEST_SKIP() << "already unprivileged: same as the other run";
#ifdef DELTASCOPE_SANITIZED
  // Sanitizer builds cannot set RLIMIT_AS (shadow memory), so the plugin would fill the machine;
  // SandboxTest checks the "memory limit not enforced" warning there instead.
  if (attack == "memory") GTEST_SKIP() << "no memory limit in sanitizer builds";
#endif
  ScratchTree t;
  fs::permissions(t.root(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
  const std::string marker = absl::StrCat("hostile-", attack, "-", ::getpid());
  const std::string secret = absl::StrCat("deltascope-secret-", std::random_device()());
  t.Write("secret.txt", secret + "\n");
  t.Mkdir("outside");
  fs::permissions(t / "outside", fs::perms::all);
  BackgroundProcess victim({"/bin/sleep", "300"});
  Listener listener;

  std::string targets = absl::StrCat("port=", listener.port(), "\nvictim=", victim.pid(),
                                     "\nsecret=", (t / "secret.txt").string(),
                                     "\noutside=", (t / "outside/pwned").string(),
                                     "\nsetuid=", (t / "b/tools/privileges").string(), "\n");
  t.Write("a/data.hostile", "old\n" + targets);
  t.Write("b/data.hostile", "new\n" + targets);
  if (::geteuid() == 0) {
    // A setuid-root program, identical on both sides (so not itself a change).
    for (const char* side : {"a", "b"}) {
      fs::path tool = t / side / "tools/privileges";
      fs::create_directories(tool.parent_path());
      fs::copy_file(BinPath("deltascope-hostile-plugin"), tool);
      ASSERT_EQ(::chmod(tool.c_str(), 04755), 0);
    }
  }
  // The plugin lives beside the secret's folder, as a downloaded plugin would: the sandbox shows
  // the plugin its own folder, not that folder's parent.
  const fs::path command = t / "plugin/deltascope-hostile-plugin";
  fs::create_directories(command.parent_path());
  fs::copy_file(BinPath("deltascope-hostile-plugin"), command);
  // A short deadline only for the attack that is meant to hit it.
  std::string limits = absl::StrCat(
      "startup_timeout: 60s, call_timeout: ", attack == "cpu" ? "3s" : "60s", ", max_instances: 1");
  if (attack == "memory") limits += ", memory: 1G";
  if (attack == "tmp") limits += ", memory: 512M";
  if (attack == "setuid") limits += ", processes: 8";
  t.Write("plugins/hostile.plugin.yaml",
          absl::StrCat("name: hostile\nversion: 1.0\nprotocol: 1\ncommand: ", command.string(),
                       "\nenv: {HOSTILE_ATTACK: ", attack, ", HOSTILE_MARKER: ", marker,
                       "}\ncomparators:\n  - name: hostile\n    extensions: [.hostile]\n",
                       "limits: {", limits, "}\n"));  // no sandbox key: the default applies

  RunOptions options;
  options.as_nobody = unprivileged;
  options.cwd = "/";
  ProcessResult r = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--format",
                                   "json", "--plugin-dir", (t / "plugins").string(), "--jobs", "1"},
                                  options);

  // The host survived and finished the diff, reporting the item.
  ASSERT_EQ(r.signal, 0) << r.err;
  ASSERT_EQ(r.exit_code, 1) << r.err;
  Json cs = Json::parse(r.out);
  const Json* item = FindChild(cs, "data.hostile");
  ASSERT_NE(item, nullptr) << r.out;
  std::string summary = (*item)["summary"];
  SCOPED_TRACE(summary);

  // Independent evidence that nothing got out.
  EXPECT_FALSE(listener.SawConnection());
  EXPECT_FALSE(absl::StrContains(r.out, secret));
  EXPECT_FALSE(absl::StrContains(r.err, secret));
  EXPECT_FALSE(fs::exists(t / "outside/pwned"));
  EXPECT_EQ(ReadFile(t / "b/data.hostile"), "new\n" + targets);
  EXPECT_EQ(::kill(victim.pid(), 0), 0) << "the victim was killed";
  EXPECT_EQ(StatusField(victim.pid(), "TracerPid"), "0");
  WaitUntil([&] { return ProcessesWithEnv(marker).empty(); });
  EXPECT_EQ(ProcessesWithEnv(marker), std::vector<int>{});

  // What the plugin itself saw (when it could answer).
  if (attack == "cpu") {
    EXPECT_NE((*item)["comparator"], "hostile");
    ASSERT_TRUE(cs.contains("diagnostics")) << r.out;
    EXPECT_EQ(cs["diagnostics"][0]["code"], "plugin-timeout");
    return;
  }
  if (attack == "memory" && (*item)["comparator"] != "hostile") {
    ASSERT_TRUE(cs.contains("diagnostics")) << r.out;  // died at the limit: reported, fell back
    EXPECT_EQ(cs["diagnostics"][0]["code"], "plugin-crash");
    return;
  }
  ASSERT_EQ((*item)["comparator"], "hostile") << r.out;
  if (attack == "network") {
    EXPECT_FALSE(absl::StrContains(summary, "connected"));
  }
  if (attack == "read") {
    EXPECT_FALSE(absl::StrContains(summary, "content="));
  }
  if (attack == "write") {
    EXPECT_FALSE(absl::StrContains(summary, " ok"));
  }
  if (attack == "fork-bomb") {
    EXPECT_TRUE(absl::StartsWith(summary, "fork-bomb: 0 children"));
  }
  if (attack == "memory") {
    EXPECT_LT(std::atoi(summary.c_str() + summary.find(' ')), 1024);
  }
  if (attack == "ptrace") {
    EXPECT_FALSE(absl::StrContains(summary, " ok"));
  }
  if (attack == "kill") {
    EXPECT_FALSE(absl::StrContains(summary, "victim ok"));
  }
  if (attack == "tmp") {  // the private /tmp is bounded by the memory limit (none: sanitizers)
    EXPECT_LE(std::atoi(summary.c_str() + summary.find(' ')), 512) << summary;
  }
  if (attack == "fds") {
    EXPECT_LE(std::atoi(summary.c_str() + summary.find(' ')), 1024);
  }
  if (attack == "setuid" && ::geteuid() == 0) {
    // Either the exec is refused, or it runs without gaining anything.
    if (absl::StrContains(summary, "capeff=")) {
      EXPECT_TRUE(absl::StrContains(summary, "capeff=0000000000000000"));
      if (unprivileged) {
        EXPECT_FALSE(absl::StrContains(summary, "euid=0 "));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, HostileTest,
                         ::testing::Combine(::testing::Values("network", "read", "write",
                                                              "fork-bomb", "memory", "tmp", "cpu",
                                                              "ptrace", "kill", "fds", "setuid"),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           std::string name = std::get<0>(info.param);
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name + (std::get<1>(info.param) ? "_unprivileged" : "");
                         });

}  // namespace
}  // namespace deltascope::testing
