// deltascoped: SIGHUP during an in-flight diff, and TCP with TLS and client certificates (real
// certificates made by openssl, a real gRPC client).
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "deltascope/daemon/v1/daemon.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/certs.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

// The comparator that described `path` in a JSON changeset ("" when absent).
std::string ComparatorOf(const std::string& json, const std::string& path) {
  Json cs = Json::parse(json, nullptr, false);
  if (cs.is_discarded()) return "";
  for (const Json& child : cs["root"]["children"]) {
    if (child["path"] == path) return child.value("comparator", "");
  }
  return "";
}

TEST(DaemonReloadTest, ReloadDuringADiffKeepsItsPluginsTheNextDiffSeesTheNewSet) {
  ScratchTree t;
  t.Write(
      "plugins/bad-ok.plugin.yaml",
      absl::StrCat("name: bad-ok\nversion: 1.0\ncommand: ", BinPath("deltascope-test-plugin"),
                   "\nenv: {BAD_MODE: ok}\ncomparators:\n  - name: bad\n    extensions: [.bad]\n",
                   "limits: {max_instances: 1}\nsandbox: off\n"));
  // A slow diff: a large sparse file (slow to compare, instant to create), then a .bad file.
  for (const char* side : {"slow-a", "slow-b"}) {
    t.Write(std::string(side) + "/big.bin", "");
    std::filesystem::resize_file(t / side / "big.bin", 4ull << 30);
    std::fstream f(t / side / "big.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp((4ll << 30) - 1);
    f.put(side[5]);
  }
  t.Write("slow-a/x.bad", "1\n");
  t.Write("slow-b/x.bad", "2\n");
  t.Write("a/x.bad", "1\n");
  t.Write("b/x.bad", "2\n");
  TestDaemon daemon(t / "d.sock", {"--plugin-dir", (t / "plugins").string(), "--jobs", "1"});
  const std::string target = daemon.target();

  BackgroundProcess slow({BinPath("deltascope"), "diff", (t / "slow-a").string(),
                          (t / "slow-b").string(), "--format", "json", "--daemon", target});
  // Wait until the daemon has the diff in flight.
  ASSERT_TRUE(WaitUntil([&] {
    ProcessResult s = RunDeltascope({"daemon", "status", "--daemon", target});
    return absl::StrContains(s.out, " 1 in flight");
  })) << daemon.process().Stderr();

  // The plugin is removed and the daemon reloads while that diff runs.
  std::filesystem::remove(t / "plugins/bad-ok.plugin.yaml");
  daemon.process().Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(daemon.process(), "reloaded")) << daemon.process().Stderr();

  // A new diff sees the new (empty) plugin set: no plugin, no diagnostic.
  ProcessResult next = RunDeltascope(
      {"diff", (t / "a").string(), (t / "b").string(), "--format", "json", "--daemon", target});
  EXPECT_EQ(next.exit_code, 1) << next.err;
  EXPECT_NE(ComparatorOf(next.out, "x.bad"), "bad") << next.out;
  EXPECT_EQ(next.out.find("diagnostics"), std::string::npos) << next.out;

  // The diff in flight finished with the generation it started with.
  EXPECT_EQ(slow.Wait(120), 1) << slow.Stderr();
  EXPECT_EQ(ComparatorOf(slow.Stdout(), "x.bad"), "bad") << slow.Stdout();
  EXPECT_NE(slow.Stdout().find("\"summary\": \"plugin ok\""), std::string::npos);
  EXPECT_EQ(slow.Stdout().find("diagnostics"), std::string::npos) << slow.Stdout();

  daemon.process().Signal(SIGTERM);
  EXPECT_EQ(daemon.process().Wait(60), 0) << daemon.process().Stderr();
}

int TcpPortOf(const BackgroundProcess& daemon) { return LoggedPort(daemon, "tcp_port"); }

grpc::Status HealthOver(const std::shared_ptr<grpc::ChannelCredentials>& creds, int port,
                        std::string* serving) {
  grpc::ChannelArguments args;
  auto channel = grpc::CreateCustomChannel(absl::StrCat("localhost:", port), creds, args);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = stub->Check(&ctx, req, &resp);
  if (s.ok()) *serving = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status());
  return s;
}

TEST(DaemonTlsTest, TcpWithTlsServesClientsWithACertificateAndRefusesOthers) {
  ScratchTree t;
  MakeCertificates(t);
  TestDaemon daemon(t / "d.sock", {"--no-plugins", "--tcp", "127.0.0.1:0", "--tls-cert",
                                   (t / "server.pem").string(), "--tls-key",
                                   (t / "server.key").string(), "--tls-client-ca",
                                   (t / "ca.pem").string(), "--allow-root", t.root().string()});
  const int port = TcpPortOf(daemon.process());
  ASSERT_GT(port, 0) << daemon.process().Stderr();

  grpc::SslCredentialsOptions with_cert;
  with_cert.pem_root_certs = ReadFile(t / "ca.pem");
  with_cert.pem_private_key = ReadFile(t / "client.key");
  with_cert.pem_cert_chain = ReadFile(t / "client.pem");
  std::string serving;
  grpc::Status ok = HealthOver(grpc::SslCredentials(with_cert), port, &serving);
  ASSERT_TRUE(ok.ok()) << ok.error_message() << "\n" << daemon.process().Stderr();
  EXPECT_EQ(serving, "SERVING");

  // The daemon's own API over the same authenticated channel.
  auto channel =
      grpc::CreateChannel(absl::StrCat("localhost:", port), grpc::SslCredentials(with_cert));
  auto api = ::deltascope::daemon::v1::Deltascope::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ::deltascope::daemon::v1::PluginStatusRequest req;
  ::deltascope::daemon::v1::PluginStatusResponse resp;
  grpc::Status status = api->PluginStatus(&ctx, req, &resp);
  EXPECT_TRUE(status.ok()) << status.error_message();

  // Without a client certificate, and without TLS at all: refused.
  grpc::SslCredentialsOptions no_cert;
  no_cert.pem_root_certs = ReadFile(t / "ca.pem");
  serving.clear();
  EXPECT_FALSE(HealthOver(grpc::SslCredentials(no_cert), port, &serving).ok());
  EXPECT_EQ(serving, "");
  EXPECT_FALSE(HealthOver(grpc::InsecureChannelCredentials(), port, &serving).ok());
  EXPECT_EQ(serving, "");

  // The CLI in client mode over TLS: the same bytes as the embedded engine; no certificate, or
  // an unreadable one, is one clear line and exit 2.
  t.Write("a/x.txt", "one\n");
  t.Write("b/x.txt", "two\n");
  RunOptions in_tree;
  in_tree.cwd = t.root();
  const std::string target = absl::StrCat("dns:///localhost:", port);
  ProcessResult local = RunDeltascope({"diff", "a", "b", "--format", "json"}, in_tree);
  ProcessResult remote =
      RunDeltascope({"diff", "a", "b", "--format", "json", "--daemon", target, "--tls-ca", "ca.pem",
                     "--tls-cert", "client.pem", "--tls-key", "client.key"},
                    in_tree);
  EXPECT_EQ(remote.exit_code, 1) << remote.err;
  EXPECT_EQ(remote.out, local.out);
  ProcessResult refused =
      RunDeltascope({"diff", "a", "b", "--daemon", target, "--tls-ca", "ca.pem"}, in_tree);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("cannot reach deltascoped at " + target), std::string::npos)
      << refused.err;
  ProcessResult half = RunDeltascope(
      {"diff", "a", "b", "--daemon", target, "--tls-ca", "ca.pem", "--tls-cert", "client.pem"},
      in_tree);
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_NE(half.err.find("--tls-cert and --tls-key go together"), std::string::npos) << half.err;
  ProcessResult daemon_status =
      RunDeltascope({"daemon", "status", "--daemon", target, "--tls-ca", "ca.pem", "--tls-cert",
                     "client.pem", "--tls-key", "client.key"},
                    in_tree);
  EXPECT_EQ(daemon_status.exit_code, 0) << daemon_status.err;
  EXPECT_NE(daemon_status.out.find("diffs served"), std::string::npos) << daemon_status.out;

  daemon.process().Signal(SIGTERM);
  EXPECT_EQ(daemon.process().Wait(60), 0) << daemon.process().Stderr();
}

}  // namespace
}  // namespace deltascope::testing
