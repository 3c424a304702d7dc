// What a daemon client may reach (docs/daemon.md, "Operating"): only snapshots under the roots the
// operator allowed, no file named by the client, TLS that fails closed, one daemon per socket, and
// a drain that ends on time.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "deltascope/daemon/v1/daemon.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

namespace daemonpb = ::deltascope::daemon::v1;

int TcpPort(const BackgroundProcess& daemon) {
  const std::string log = daemon.Stderr();
  const size_t at = log.find("\"tcp_port\":\"");
  return at == std::string::npos ? 0 : std::atoi(log.c_str() + at + 12);
}

std::unique_ptr<daemonpb::Deltascope::Stub> ApiOver(const std::string& target) {
  return daemonpb::Deltascope::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
}

// Runs one Diff call to the end; returns its status, with the last Done's exit status in `exit`.
grpc::Status CallDiff(daemonpb::Deltascope::Stub& api, const daemonpb::DiffRequest& request,
                      int* exit = nullptr) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto reader = api.Diff(&ctx, request);
  daemonpb::DiffEvent event;
  while (reader->Read(&event)) {
    if (event.has_done() && exit) *exit = event.done().exit_status();
  }
  return reader->Finish();
}

// Folders a/ and b/ whose 64 GiB sparse files differ in their last byte: a diff that hashes for
// a long time, created at once.
void MakeLongDiff(const ScratchTree& t) {
  for (const char* side : {"a", "b"}) {
    t.Mkdir(side);
    const int fd = ::open((t / side / "big.bin").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_EQ(::ftruncate(fd, off_t{64} << 30), 0);
    ASSERT_EQ(::pwrite(fd, side, 1, (off_t{64} << 30) - 1), 1);
    ::close(fd);
  }
}

// The long diff's files, made before anything that uses them (a base is built first).
struct LongDiffFiles {
  explicit LongDiffFiles(const ScratchTree& t) { MakeLongDiff(t); }
};

// A daemon draining (SIGTERM sent) while a client's long diff of a/ and b/ runs.
struct Draining : LongDiffFiles {
  Draining(const ScratchTree& t, const std::string& drain_seconds)
      : LongDiffFiles(t),
        daemon(t / "d.sock", {"--no-plugins", "--drain-seconds", drain_seconds}),
        client({BinPath("deltascope"), "diff", (t / "a").string(), (t / "b").string(), "--daemon",
                daemon.target()}) {
    if (!daemon.ready() || !WaitForLog(daemon.process(), "diff started")) return;
    daemon.process().Signal(SIGTERM);
    started = WaitForLog(daemon.process(), "draining");
  }
  TestDaemon daemon;
  BackgroundProcess client;
  bool started = false;
};

daemonpb::DiffRequest Request(const std::string& from, const std::string& to) {
  daemonpb::DiffRequest r;
  r.add_snapshots(from);
  r.add_snapshots(to);
  return r;
}

TEST(DaemonAccessTest, ClientsReadOnlyUnderAllowedRootsAndNameNoFiles) {
  ScratchTree t;
  t.Write("served/a/x.txt", "one\n");
  t.Write("served/b/x.txt", "two\n");
  t.Write("secret/x.txt", "password\n");
  t.Write("secret.yaml", "root:$6$hash\n");
  std::filesystem::create_directory_symlink(t / "secret", t / "served" / "escape");
  TestDaemon daemon(t / "d.sock", {"--no-plugins", "--allow-root", (t / "served").string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  auto api = ApiOver(daemon.target());

  int exit = -1;
  grpc::Status inside =
      CallDiff(*api, Request((t / "served/a").string(), (t / "served/b").string()), &exit);
  EXPECT_TRUE(inside.ok()) << inside.error_message();
  EXPECT_EQ(exit, 1);

  // Outside the root, through a symlink inside it, or absent: the same refusal, nothing read.
  for (const std::filesystem::path& outside :
       {t / "secret", t / "served/escape", t / "served/../secret", t / "no-such-folder",
        std::filesystem::path("/etc")}) {
    grpc::Status s = CallDiff(*api, Request((t / "served/a").string(), outside.string()));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << outside;
    EXPECT_NE(s.error_message().find("not under a folder this daemon serves"), std::string::npos)
        << s.error_message();
    EXPECT_EQ(s.error_message().find("password"), std::string::npos);
  }
  // Every request leaves one log line, refusals included.
  ASSERT_TRUE(WaitForLog(daemon.process(), "request", 6));
  const std::string log = daemon.process().Stderr();
  EXPECT_NE(log.find("\"rpc\":\"Diff\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"exit_status\":\"1\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"code\":\"7\""), std::string::npos) << log;  // PERMISSION_DENIED
  // A relative path is refused, not resolved against the daemon's working directory.
  EXPECT_EQ(CallDiff(*api, Request("a", "b")).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // A client can no longer make the daemon open a file by name; its error quotes nothing of it.
  daemonpb::DiffRequest named = Request((t / "served/a").string(), (t / "served/b").string());
  named.set_config_path((t / "secret.yaml").string());
  grpc::Status s = CallDiff(*api, named);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().find("$6$"), std::string::npos) << s.error_message();

  // The CLI in client mode: one clear line, exit 2.
  RunOptions in_tree;
  in_tree.cwd = t.root();
  ProcessResult cli =
      RunDeltascope({"diff", "served/a", "secret", "--daemon", daemon.target()}, in_tree);
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_NE(cli.err.find("not under a folder this daemon serves"), std::string::npos) << cli.err;
}

TEST(DaemonAccessTest, TcpClientsReadNothingWithoutAnAllowedRoot) {
  ScratchTree t;
  t.Write("a/x.txt", "one\n");
  t.Write("b/x.txt", "two\n");
  TestDaemon daemon(t / "d.sock", {"--no-plugins", "--tcp", "127.0.0.1:0", "--insecure-plaintext"});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  const int port = TcpPort(daemon.process());
  ASSERT_GT(port, 0);
  auto tcp = ApiOver(absl::StrCat("127.0.0.1:", port));
  grpc::Status s = CallDiff(*tcp, Request((t / "a").string(), (t / "b").string()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  // The Unix socket (0600: the daemon's own user) is not restricted by default.
  int exit = -1;
  auto local = ApiOver(daemon.target());
  EXPECT_TRUE(CallDiff(*local, Request((t / "a").string(), (t / "b").string()), &exit).ok());
  EXPECT_EQ(exit, 1);
  EXPECT_EQ(std::filesystem::status(t / "d.sock").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(DaemonAccessTest, TlsFlagsFailClosed) {
  ScratchTree t;
  const std::string cert = (t / "server.pem").string();
  struct Case {
    std::vector<std::string> flags;
    std::string error;
  };
  const Case cases[] = {
      {{"--tcp", "127.0.0.1:0"}, "--tcp needs --tls-cert and --tls-key"},
      {{"--tcp", "127.0.0.1:0", "--tls-client-ca", cert}, "--tcp needs --tls-cert and --tls-key"},
      {{"--tcp", "127.0.0.1:0", "--tls-cert", cert}, "--tcp needs --tls-cert and --tls-key"},
      {{"--tls-cert", cert, "--tls-key", cert}, "--tls-* flags need --tcp"},
      {{"--insecure-plaintext"}, "--insecure-plaintext needs --tcp"},
      {{"--tcp", "127.0.0.1:0", "--insecure-plaintext", "--tls-cert", cert, "--tls-key", cert},
       "contradict"},
      {{"--allow-root", (t / "missing").string()}, "--allow-root"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {BinPath("deltascoped"), "--no-plugins", "--listen",
                                     "unix://" + (t / "d.sock").string()};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    ProcessResult r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 2) << absl::StrJoin(c.flags, " ") << "\n" << r.err;
    EXPECT_NE(r.err.find(c.error), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("deltascoped ready"), std::string::npos);
  }
}

TEST(DaemonAccessTest, OneDaemonPerSocketAndNeverARegularFileRemoved) {
  ScratchTree t;
  TestDaemon first(t / "d.sock", {"--no-plugins"});
  ASSERT_TRUE(first.ready()) << first.process().Stderr();
  ProcessResult second =
      RunProcess({BinPath("deltascoped"), "--no-plugins", "--listen", first.target()});
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_NE(second.err.find(absl::StrCat("another deltascoped (pid ", first.pid(), ")")),
            std::string::npos)
      << second.err;
  // The first one still serves its socket.
  EXPECT_EQ(RunDeltascope({"daemon", "status", "--daemon", first.target()}).exit_code, 0);

  t.Write("precious.txt", "keep me\n");
  ProcessResult on_file = RunProcess({BinPath("deltascoped"), "--no-plugins", "--listen",
                                      "unix://" + (t / "precious.txt").string()});
  EXPECT_EQ(on_file.exit_code, 2);
  EXPECT_NE(on_file.err.find("is not a socket"), std::string::npos) << on_file.err;
  EXPECT_EQ(ReadFile(t / "precious.txt"), "keep me\n");

  // A stale socket of a daemon killed outright is replaced.
  first.process().Signal(SIGKILL);
  first.process().Wait(60);
  TestDaemon next(t / "d.sock", {"--no-plugins"});
  EXPECT_TRUE(next.ready()) << next.process().Stderr();
}

TEST(DaemonAccessTest, DrainStopsServingAtOnceAndEndsOnTime) {
  ScratchTree t;
  Draining drain(t, "1");
  ASSERT_TRUE(drain.started) << drain.daemon.process().Stderr();
  TestDaemon& daemon = drain.daemon;
  BackgroundProcess& client = drain.client;
  // The client of the cancelled diff is told why, and the daemon exits cleanly.
  EXPECT_EQ(client.Wait(120), 2);
  EXPECT_NE(client.Stderr().find("shutting down"), std::string::npos) << client.Stderr();
  EXPECT_EQ(daemon.process().Wait(120), 0) << daemon.process().Stderr();
  EXPECT_FALSE(std::filesystem::exists(t / "d.sock"));
}

TEST(DaemonAccessTest, HealthSaysNotServingWhileDraining) {
  ScratchTree t;
  Draining drain(t, "600");
  ASSERT_TRUE(drain.started) << drain.daemon.process().Stderr();
  TestDaemon& daemon = drain.daemon;
  BackgroundProcess& client = drain.client;
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(daemon.target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = health->Check(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  // A new diff is refused while the old one drains.
  auto api = ApiOver(daemon.target());
  EXPECT_EQ(CallDiff(*api, Request((t / "a").string(), (t / "a").string())).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  client.Signal(SIGKILL);  // the running diff is cancelled when its client goes away
  EXPECT_EQ(daemon.process().Wait(120), 0) << daemon.process().Stderr();
}

}  // namespace
}  // namespace deltascope::testing
