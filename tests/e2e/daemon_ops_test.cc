// deltascoped for operators: gRPC's own log lines in the JSON log, Prometheus metrics over real
// HTTP, reflection v1 with a real v1 client, systemd's readiness protocol on a real notify
// socket, and the client's one-line connection errors.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/util/fd.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "re2/re2.h"
#include "tests/support/certs.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

// Every line of `log` is one JSON object with ts, level and msg; returns those objects.
std::vector<nlohmann::json> JsonLines(const std::string& log) {
  std::vector<nlohmann::json> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object() && j.contains("ts") && j.contains("level") && j.contains("msg"))
        << "not a JSON log line: " << line;
    if (j.is_object()) lines.push_back(std::move(j));
  }
  return lines;
}

// One HTTP/1.0 request to 127.0.0.1:port over a real TCP socket; the whole response.
std::string Http(int port, const std::string& method, const std::string& path) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) return "";
  const std::string request =
      absl::StrCat(method, " ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (!WriteFully(fd.get(), request).ok()) return "";
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd.get(), buffer, sizeof(buffer))) > 0;) response.append(buffer, n);
  return response;
}

// The value of the sample named exactly `series` (name and labels) on a /metrics page; -1 when
// absent.
double Sample(const std::string& page, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (!absl::ConsumePrefix(&line, series) || !absl::ConsumePrefix(&line, " ")) continue;
    double v = 0;
    return absl::SimpleAtod(line, &v) ? v : -1;
  }
  return -1;
}

TEST(DaemonOpsTest, MetricsOverHttpCountRequestsPluginFailuresAndServeNothingElse) {
  ScratchTree t;
  const std::string marker = absl::StrCat("ops-metrics-", ::getpid());
  t.Write("plugins/bad.plugin.yaml", TestPluginManifest("segv", marker));
  t.Write("served/a/x.bad", "1\n");
  t.Write("served/b/x.bad", "2\n");
  t.Write("private/a/secret.txt", "s\n");
  TestDaemon daemon(t / "d.sock", {"--plugin-dir", (t / "plugins").string(), "--allow-root",
                                   (t / "served").string(), "--metrics-listen", "127.0.0.1:0"});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  const int port = LoggedPort(daemon.process(), "metrics_port");
  ASSERT_GT(port, 0) << daemon.process().Stderr();

  // One diff that runs (the plugin crashes on its item: a fallback, still exit 1) and one that
  // is refused (outside the allowed root).
  ProcessResult ok = RunDeltascope(
      {"diff", (t / "served/a").string(), (t / "served/b").string(), "--daemon", daemon.target()});
  EXPECT_EQ(ok.exit_code, 1) << ok.err;
  ProcessResult refused = RunDeltascope(
      {"diff", (t / "private/a").string(), (t / "served/b").string(), "--daemon", daemon.target()});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;

  const std::string response = Http(port, "GET", "/metrics");
  ASSERT_TRUE(absl::StartsWith(response, "HTTP/1.1 200")) << response;
  EXPECT_NE(response.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  const std::string diff = R"(service="deltascope.daemon.v1.Deltascope",method="Diff")";
  EXPECT_EQ(
      Sample(response, absl::StrCat("deltascope_grpc_requests_total{", diff, R"(,code="OK"})")), 1)
      << response;
  EXPECT_EQ(Sample(response, absl::StrCat("deltascope_grpc_requests_total{", diff,
                                          R"(,code="PERMISSION_DENIED"})")),
            1)
      << response;
  EXPECT_EQ(
      Sample(response, absl::StrCat("deltascope_grpc_request_duration_seconds_count{", diff, "}")),
      2);
  EXPECT_EQ(Sample(response, absl::StrCat("deltascope_grpc_request_duration_seconds_bucket{", diff,
                                          R"(,le="+Inf"})")),
            2);
  EXPECT_GT(
      Sample(response, absl::StrCat("deltascope_grpc_request_duration_seconds_sum{", diff, "}")),
      0);
  EXPECT_EQ(Sample(response, "deltascope_diffs_running"), 0);
  EXPECT_EQ(Sample(response, "deltascope_diffs_queued"), 0);
  EXPECT_EQ(Sample(response, "deltascope_diffs_served_total"), 1);
  EXPECT_EQ(Sample(response, "deltascope_serving"), 1);
  const double calls = Sample(response, R"(deltascope_plugin_calls_total{plugin="bad"})");
  EXPECT_GE(calls, 1) << response;
  EXPECT_EQ(Sample(response, R"(deltascope_plugin_failures_total{plugin="bad",kind="crash"})"),
            calls)
      << response;
  EXPECT_EQ(Sample(response, R"(deltascope_plugin_failures_total{plugin="bad",kind="timeout"})"),
            0);
  EXPECT_GE(Sample(response, R"(deltascope_plugin_instances{plugin="bad"})"), 0);
  // Exactly one state series is 1.
  double states = 0;
  for (const char* state : {"available", "running", "disabled", "quarantined", "unreachable"}) {
    states += Sample(response,
                     absl::StrCat(R"(deltascope_plugin_state{plugin="bad",state=")", state, "\"}"));
  }
  EXPECT_EQ(states, 1) << response;

  // Only /metrics and /healthz: nothing from disk, no other method.
  EXPECT_TRUE(absl::StartsWith(Http(port, "GET", "/healthz"), "HTTP/1.1 200"));
  for (const char* path : {"/", "/etc/passwd", "/metrics/../../../etc/passwd", "/metrics.txt",
                           "/%2e%2e/%2e%2e/etc/passwd"}) {
    const std::string other = Http(port, "GET", path);
    EXPECT_FALSE(absl::StartsWith(other, "HTTP/1.1 200")) << path << ": " << other;
    EXPECT_EQ(other.find("root:"), std::string::npos) << path;
  }
  EXPECT_TRUE(absl::StartsWith(Http(port, "POST", "/metrics"), "HTTP/1.1 405"));

  daemon.process().Signal(SIGTERM);
  EXPECT_EQ(daemon.process().Wait(60), 0) << daemon.process().Stderr();
}

TEST(DaemonOpsTest, BadFlagsAreOneJsonLineAtStart) {
  ScratchTree t;
  for (const char* bad : {"9464", "localhost:9464", "127.0.0.1:9464s", "127.0.0.1:1,127.0.0.1:2"}) {
    ProcessResult r =
        RunProcess({BinPath("deltascoped"), "--listen", "unix://" + (t / "d.sock").string(),
                    "--no-plugins", "--metrics-listen", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("expected IPV4:PORT or [IPV6]:PORT"), std::string::npos) << r.err;
    EXPECT_EQ(JsonLines(r.err).size(), 1u) << r.err;
  }
  // A flag CLI11 refuses is a JSON log line too.
  ProcessResult r = RunProcess({BinPath("deltascoped"), "--max-concurrent", "0"});
  EXPECT_EQ(r.exit_code, 2);
  const std::vector<nlohmann::json> lines = JsonLines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_NE(lines[0].value("msg", "").find("--max-concurrent"), std::string::npos) << r.err;
}

TEST(DaemonOpsTest, ReflectionV1ListsServicesAndDescribesTheApi) {
  ScratchTree t;
  TestDaemon daemon(t / "d.sock", {"--no-plugins"});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  auto stub = grpc::reflection::v1::ServerReflection::NewStub(
      grpc::CreateChannel(daemon.target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->ServerReflectionInfo(&ctx);
  grpc::reflection::v1::ServerReflectionRequest request;
  grpc::reflection::v1::ServerReflectionResponse response;

  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& s : response.list_services_response().service()) services.push_back(s.name());
  for (const char* expected :
       {"deltascope.daemon.v1.Deltascope", "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"}) {
    EXPECT_NE(std::find(services.begin(), services.end(), expected), services.end()) << expected;
  }

  request.set_file_containing_symbol("deltascope.daemon.v1.Deltascope");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_GE(response.file_descriptor_response().file_descriptor_proto_size(), 1)
      << response.DebugString();
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "deltascope/daemon/v1/daemon.proto");
  ASSERT_GE(file.service_size(), 1);
  EXPECT_EQ(file.service(0).name(), "Deltascope");
  EXPECT_EQ(response.original_request().file_containing_symbol(),
            "deltascope.daemon.v1.Deltascope");

  request.set_file_containing_symbol("no.such.Symbol");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.error_response().error_code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));

  ASSERT_TRUE(stream->WritesDone());
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// A datagram socket standing in for systemd's $NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path)
      : path_(path.string()), fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path_.c_str());
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    timeval patience{60, 0};  // a bound on waiting for the daemon, not a synchronisation sleep
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof(patience));
  }
  const std::string& path() const { return path_; }
  // The next notification ("" when none came within the minute).
  std::string Next() {
    char buffer[4096];
    const ssize_t n = ::recv(fd_.get(), buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

TEST(DaemonOpsTest, SystemdHearsReadyReloadingAndStopping) {
  ScratchTree t;
  NotifySocket notify(t / "notify");
  RunOptions env;
  env.extra_env = {"NOTIFY_SOCKET=" + notify.path()};
  TestDaemon daemon(t / "d.sock", {"--no-plugins"}, env);
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  EXPECT_NE(notify.Next().find("READY=1"), std::string::npos);
  daemon.process().Signal(SIGHUP);
  EXPECT_NE(notify.Next().find("RELOADING=1"), std::string::npos);
  EXPECT_NE(notify.Next().find("READY=1"), std::string::npos);
  daemon.process().Signal(SIGTERM);
  EXPECT_NE(notify.Next().find("STOPPING=1"), std::string::npos);
  EXPECT_EQ(daemon.process().Wait(60), 0) << daemon.process().Stderr();
  // Without $NOTIFY_SOCKET (the other tests), nothing is said about systemd at all.
  EXPECT_EQ(daemon.process().Stderr().find("systemd"), std::string::npos);
}

TEST(DaemonOpsTest, RefusedConnectionIsOneLineNamingTheSocket) {
  ScratchTree t;
  // A socket file nobody listens on: what a daemon killed with SIGKILL leaves behind.
  const std::string stale = (t / "stale.sock").string();
  {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", stale.c_str());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  }
  t.Write("a/x.txt", "1\n");
  for (const std::string& socket : {stale, (t / "none.sock").string()}) {
    ProcessResult r = RunDeltascope(
        {"diff", (t / "a").string(), (t / "a").string(), "--daemon", "unix://" + socket});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("cannot reach deltascoped at unix://" + socket + ": "), std::string::npos)
        << r.err;
  }
  ProcessResult r = RunDeltascope({"daemon", "status", "--daemon", "unix://" + stale});
  EXPECT_NE(r.err.find("connection refused: nothing listens on " + stale), std::string::npos)
      << r.err;
}

// gRPC's own lines (a refused handshake, and everything GRPC_VERBOSITY=info adds) are JSON log
// lines in the daemon; in the client, a wrong CA is one clear line.
TEST(DaemonOpsTest, TlsFailuresAreJsonInTheDaemonAndOneLineInTheClient) {
  ScratchTree t;
  MakeCertificates(t, /*other_ca=*/true);
  RunOptions verbose;
  verbose.extra_env = {"GRPC_VERBOSITY=info"};
  TestDaemon daemon(
      t / "d.sock",
      {"--no-plugins", "--tcp", "127.0.0.1:0", "--tls-cert", (t / "server.pem").string(),
       "--tls-key", (t / "server.key").string(), "--allow-root", t.root().string()},
      verbose);
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  const int port = LoggedPort(daemon.process(), "tcp_port");
  ASSERT_GT(port, 0);
  const std::string target = absl::StrCat("dns:///localhost:", port);
  t.Write("a/x.txt", "1\n");

  // Plaintext to the TLS port: the daemon's gRPC logs a failed handshake.
  {
    auto health = grpc::health::v1::Health::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckResponse out;
    EXPECT_FALSE(health->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &out).ok());
  }
  ProcessResult wrong_ca =
      RunDeltascope({"diff", (t / "a").string(), (t / "a").string(), "--daemon", target, "--tls-ca",
                     (t / "other-ca.pem").string()});
  EXPECT_EQ(wrong_ca.exit_code, 2);
  EXPECT_EQ(wrong_ca.err,
            absl::StrCat("deltascope: cannot reach deltascoped at ", target,
                         ": TLS handshake failed: the daemon's certificate is not signed by the "
                         "CA in --tls-ca (or does not name this host)\n"));
  ProcessResult plaintext =
      RunDeltascope({"diff", (t / "a").string(), (t / "a").string(), "--daemon", target});
  EXPECT_EQ(plaintext.exit_code, 2);
  EXPECT_NE(plaintext.err.find("does it serve TLS? then pass --tls-ca"), std::string::npos)
      << plaintext.err;
  EXPECT_EQ(std::count(plaintext.err.begin(), plaintext.err.end(), '\n'), 1) << plaintext.err;

  daemon.process().Signal(SIGTERM);
  ASSERT_EQ(daemon.process().Wait(60), 0) << daemon.process().Stderr();
  bool handshake_logged = false;
  for (const nlohmann::json& line : JsonLines(daemon.process().Stderr())) {
    handshake_logged |= line.value("source", "") == "grpc" &&
                        absl::StrContains(line.value("msg", ""), "Handshake failed");
  }
  EXPECT_TRUE(handshake_logged) << daemon.process().Stderr();
}

TEST(DaemonOpsTest, HelpShowsTheDefaults) {
  ProcessResult r = RunProcess({BinPath("deltascoped"), "--help"});
  EXPECT_EQ(r.exit_code, 0);
  // CLI11 shows a default after the type: "--max-queued INT:NONNEGATIVE=16".
  for (const auto& [option, value] :
       std::vector<std::pair<std::string, std::string>>{{"--max-concurrent", "2"},
                                                        {"--max-queued", "16"},
                                                        {"--drain-seconds", "30"},
                                                        {"--quarantine-seconds", "300"},
                                                        {"--jobs", "0"}}) {
    EXPECT_TRUE(RE2::PartialMatch(r.out, absl::StrCat(option, " \\S*=", value, "\\s")))
        << option << " without its default " << value << ":\n"
        << r.out;
  }
  EXPECT_NE(r.out.find("--metrics-listen"), std::string::npos);
}

}  // namespace
}  // namespace deltascope::testing
