// deltascoped: the deltascope daemon. Serves the Deltascope API (proto/deltascope/daemon/v1),
// grpc.health.v1 and server reflection on a Unix socket (default) and optionally on TCP with
// TLS; keeps plugins warm across requests; SIGHUP reloads, SIGTERM/SIGINT drain and exit.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/config/config.h"
#include "daemon/server/diff_service.h"
#include "daemon/server/log.h"
#include "daemon/server/operations.h"
#include "daemon/server/socket_claim.h"
#include "daemon/session/plugin_flags.h"
#include "daemon/session/plugin_options.h"
#include "daemon/util/fd.h"

namespace deltascope {
namespace {

std::string DefaultListen() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime && *runtime) return absl::StrCat("unix://", runtime, "/deltascope.sock");
  if (::geteuid() == 0) return "unix:///run/deltascope/deltascope.sock";
  return absl::StrCat("unix:///tmp/deltascope-", ::geteuid(), ".sock");
}

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  if (path.empty()) return std::string();
  return ReadFileToString(path);
}

// How long cancelled diffs (and other calls) get to stop once the drain period is over.
constexpr std::chrono::seconds kCancelGrace{2};

struct Flags {
  std::string listen;
  std::string tcp;
  std::string tls_cert, tls_key, tls_client_ca;
  bool insecure_plaintext = false;
  std::vector<std::string> allow_roots;
  int max_concurrent = 2;
  int max_queued = 16;
  int jobs = 0;
  int drain_seconds = 30;
  int quarantine_seconds = 300;
  std::string metrics_listen;  // "": no metrics listener
  std::string config_path;     // --config: only its plugins.limits applies here
  PluginOptions plugins;       // the shared plugin flags (AddPluginFlags)
};

// TLS fails closed: flags that would serve something other than what they say are errors.
absl::Status CheckTransportFlags(const Flags& flags) {
  const bool any_tls =
      !flags.tls_cert.empty() || !flags.tls_key.empty() || !flags.tls_client_ca.empty();
  if (flags.tcp.empty()) {
    if (any_tls)
      return absl::InvalidArgumentError("--tls-* flags need --tcp (the Unix socket has no TLS)");
    if (flags.insecure_plaintext)
      return absl::InvalidArgumentError("--insecure-plaintext needs --tcp");
    return absl::OkStatus();
  }
  if (flags.insecure_plaintext) {
    if (any_tls)
      return absl::InvalidArgumentError("--insecure-plaintext and --tls-* contradict each other");
    return absl::OkStatus();
  }
  if (flags.tls_cert.empty() || flags.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tcp needs --tls-cert and --tls-key (or --insecure-plaintext to serve TCP unencrypted "
        "and unauthenticated)");
  }
  return absl::OkStatus();
}

// Unix socket clients are the daemon's own user (the socket is 0600): without --allow-root they
// may name any path that user can read. TCP clients may read nothing without --allow-root.
absl::StatusOr<ClientAccess> MakeClientAccess(const Flags& flags) {
  ClientAccess access;
  if (flags.allow_roots.empty()) {
    access.unix_clients = AccessRoots::Everything();
    return access;
  }
  absl::StatusOr<AccessRoots> roots = AccessRoots::Create(flags.allow_roots);
  if (!roots.ok()) return roots.status();
  access.unix_clients = *roots;
  access.tcp_clients = *std::move(roots);
  return access;
}

int Run(const Flags& flags) {
  std::string listen = flags.listen.empty() ? DefaultListen() : flags.listen;
  if (!absl::StartsWith(listen, "unix://")) {
    LogError("--listen must be unix:///path (use --tcp for TCP)", {{"listen", listen}});
    return 2;
  }
  if (absl::Status s = CheckTransportFlags(flags); !s.ok()) {
    LogError(std::string(s.message()), {});
    return 2;
  }
  absl::StatusOr<ClientAccess> access = MakeClientAccess(flags);
  if (!access.ok()) {
    LogError(std::string(access.status().message()), {});
    return 2;
  }
  if (!flags.tcp.empty() && flags.allow_roots.empty()) {
    LogWarning("TCP clients can diff nothing until --allow-root names what they may read", {});
  }
  const std::filesystem::path socket_path = listen.substr(strlen("unix://"));
  absl::StatusOr<std::unique_ptr<SocketClaim>> claim = SocketClaim::Acquire(socket_path);
  if (!claim.ok()) {
    LogError(std::string(claim.status().message()), {{"listen", listen}});
    return 2;
  }

  // Metrics, reflection v1, systemd; before the plugin host, whose events it counts.
  ServerOperations operations(flags.metrics_listen);
  ServiceLimits limits;
  limits.max_concurrent = flags.max_concurrent;
  limits.max_queued = flags.max_queued;
  limits.jobs = flags.jobs;
  PluginOptions plugins = flags.plugins;
  plugins.quarantine_period = std::chrono::seconds(flags.quarantine_seconds);
  plugins.log = [](const std::string& plugin, int instance, const char* stream,
                   const std::string& line) {
    LogInfo(line, {{"plugin", plugin}, {"instance", std::to_string(instance)}, {"stream", stream}});
  };
  // One JSON line per plugin event: the operator's record of crashes, timeouts, quarantines.
  plugins.events = [&operations](const PluginEvent& e) {
    operations.CountPluginEvent(e.plugin, e.kind);
    const bool trouble = e.kind != "restart" && e.kind != "recovery";
    (trouble ? LogWarning : LogInfo)(
        "plugin event", {{"plugin", e.plugin}, {"event", e.kind}, {"detail", e.detail}});
  };
  if (!flags.config_path.empty() && plugins.enabled) {
    absl::StatusOr<Config> config = LoadConfig(flags.config_path);
    if (!config.ok()) {
      LogError(std::string(config.status().message()), {});
      return 2;
    }
    plugins.config_limits = config->plugins_limits;
  }
  absl::StatusOr<std::shared_ptr<ComparatorSource>> source = OpenComparators(plugins);
  if (!source.ok()) {
    LogError("cannot start the plugin host", {{"error", std::string(source.status().message())}});
    return 2;
  }
  for (const auto& info : (*source)->Plugins()) {
    LogInfo("plugin", {{"name", info.name()}, {"state", info.state()}, {"reason", info.reason()}});
  }
  DiffService service(*source, limits, *std::move(access));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  operations.Configure(builder);
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  int tcp_port = 0;  // the port bound (`--tcp HOST:0` picks a free one); 0 when binding failed
  if (!flags.tcp.empty()) {
    std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
    if (!flags.tls_cert.empty()) {
      absl::StatusOr<std::string> cert = ReadPem(flags.tls_cert), key = ReadPem(flags.tls_key),
                                  ca = ReadPem(flags.tls_client_ca);
      for (const auto* s : {&cert, &key, &ca}) {
        if (!s->ok()) {
          LogError("cannot read TLS material", {{"error", std::string(s->status().message())}});
          return 2;
        }
      }
      grpc::SslServerCredentialsOptions ssl(
          ca->empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                      : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
      ssl.pem_root_certs = *ca;
      ssl.pem_key_cert_pairs.push_back({*key, *cert});
      creds = grpc::SslServerCredentials(ssl);
    } else {
      LogWarning(
          "--insecure-plaintext: TCP without TLS, anyone who can reach the port can run diffs",
          {{"tcp", flags.tcp}});
    }
    builder.AddListeningPort(flags.tcp, creds, &tcp_port);
  }
  builder.RegisterService(&service);
  // The socket is born 0600 (no window in which others could connect).
  const mode_t umask_before = ::umask(0177);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ::umask(umask_before);
  if (!server || (!flags.tcp.empty() && tcp_port == 0)) {
    LogError("cannot listen", {{"listen", listen}, {"tcp", flags.tcp}});
    return 2;
  }
  if (absl::Status s = (*claim)->Bound(); !s.ok()) {
    LogError(std::string(s.message()), {{"listen", listen}});
    return 2;
  }
  if (absl::Status s = operations.Started(*server, service); !s.ok()) {
    LogError(std::string(s.message()), {{"metrics_listen", flags.metrics_listen}});
    return 2;
  }
  const int metrics_port = operations.metrics_port();
  LogInfo("deltascoped ready",
          {{"listen", listen},
           {"tcp", flags.tcp},
           {"tcp_port", tcp_port ? std::to_string(tcp_port) : ""},
           {"metrics_listen", flags.metrics_listen},
           {"metrics_port", metrics_port ? std::to_string(metrics_port) : ""}});
  operations.Ready();

  // Signals are taken by this thread only (blocked everywhere else before any thread started).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      operations.Reloading();
      absl::Status s = (*source)->Reload();
      operations.Reloaded();
      if (s.ok()) {
        LogInfo("reloaded", {});
      } else {
        LogError("reload failed; keeping the previous plugins",
                 {{"error", std::string(s.message())}});
      }
      continue;
    }
    LogInfo("draining",
            {{"signal", strsignal(sig)}, {"drain_seconds", std::to_string(flags.drain_seconds)}});
    server->GetHealthCheckService()->SetServingStatus(false);
    operations.Draining();
    const bool drained = service.Drain(
        std::chrono::steady_clock::now() + std::chrono::seconds(flags.drain_seconds), kCancelGrace);
    if (!drained) {
      // A diff stuck in a call that ignores cancellation: exit on time anyway. The plugins die
      // with the daemon (parent-death signal); the claim removes the socket.
      LogWarning("exiting with diffs still running after the drain period", {});
      claim->reset();
      std::_Exit(0);
    }
    server->Shutdown(std::chrono::system_clock::now() + kCancelGrace);
    break;
  }
  server->Wait();
  operations.Stopped();
  LogInfo("deltascoped stopped", {});
  return 0;
}

}  // namespace
}  // namespace deltascope

int main(int argc, char** argv) {
  // gRPC's and protobuf's own log lines join the JSON stream (before gRPC can log anything).
  deltascope::RouteLibraryLogs();
  // Block the signals before gRPC starts its threads, so only sigwait() sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  deltascope::Flags flags;
  CLI::App app{"deltascoped: the deltascope daemon", "deltascoped"};
  app.add_option("--listen", flags.listen,
                 "Unix socket, unix:///path. Default: $XDG_RUNTIME_DIR/deltascope.sock; without "
                 "it /run/deltascope/deltascope.sock for root, else /tmp/deltascope-UID.sock");
  app.add_option("--tcp", flags.tcp,
                 "Also listen on TCP, host:port (port 0: a free one). Default: off");
  app.add_option("--tls-cert", flags.tls_cert, "PEM certificate for TCP");
  app.add_option("--tls-key", flags.tls_key, "PEM private key for TCP");
  app.add_option("--tls-client-ca", flags.tls_client_ca,
                 "PEM CA bundle: require and verify client certificates");
  app.add_flag("--insecure-plaintext", flags.insecure_plaintext,
               "Serve --tcp without TLS (anyone who can reach the port can run diffs)");
  app.add_option("--allow-root", flags.allow_roots,
                 "Folder whose snapshots clients may diff; repeatable. Default: anything for "
                 "Unix socket clients (the daemon's own user), nothing for TCP clients");
  app.add_option("--max-concurrent", flags.max_concurrent, "Diffs running at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-queued", flags.max_queued, "Diffs waiting; more get RESOURCE_EXHAUSTED")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--jobs", flags.jobs, "Worker threads per diff; 0: one per core")
      ->capture_default_str();
  app.add_option("--drain-seconds", flags.drain_seconds,
                 "On SIGTERM, how long running diffs may finish before they are cancelled")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--quarantine-seconds", flags.quarantine_seconds,
                 "How long a failing plugin is quarantined before it is tried again (doubling "
                 "each time, up to 16x); 0: until the next reload")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--metrics-listen", flags.metrics_listen,
                 "Serve Prometheus metrics (GET /metrics) and /healthz over HTTP on IPV4:PORT or "
                 "[IPV6]:PORT (port 0: a free one, logged as metrics_port). Default: off")
      ->type_name("HOST:PORT");
  deltascope::AddPluginFlags(app, flags.plugins);
  app.add_option("--config", flags.config_path,
                 "YAML config file (docs/config.md); the daemon applies its plugins.limits");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help: text, on standard output
    // A bad flag is a log line like any other (standard error is JSON lines only).
    deltascope::LogError(e.what(), {{"usage", "deltascoped --help"}});
    return 2;
  }
  return deltascope::Run(flags);
}
