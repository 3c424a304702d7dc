// Serve(): the plugin's life cycle (docs/plugin-protocol.md): environment, version negotiation,
// gRPC server on the host's socket, the handshake line, then serving until Shutdown or SIGTERM.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "deltascope/plugin/sdk.h"
#include "google/protobuf/util/json_util.h"
#include "handshake.h"
#include "service.h"

namespace deltascope::plugin {
namespace {

using internal::kSupportedVersions;

// How long Shutdown waits for running comparisons.
constexpr std::chrono::seconds kDrainTimeout{5};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// Writes the whole line to the ready pipe and closes it.
bool WriteReadyLine(int fd, const std::string& line) {
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    rest.remove_prefix(static_cast<size_t>(n));
  }
  ::close(fd);
  return rest.empty();
}

int PrintDescriptor(const std::vector<std::unique_ptr<Comparator>>& comparators,
                    const PluginInfo& info) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(
      internal::MakeDescribeResponse(comparators, info, kSupportedVersions[0]), &json, options);
  if (!status.ok()) {
    std::cerr << status.ToString() << "\n";
    return 1;
  }
  std::cout << json;
  return 0;
}

// Set by the Shutdown RPC or a termination signal; Serve() waits for it.
class StopSignal {
 public:
  void Notify() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return stopped_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

int ServeOn(std::vector<std::unique_ptr<Comparator>> comparators, const PluginInfo& info,
            uint32_t version, const internal::ListenAddress& address, int ready_fd);

}  // namespace

std::string Context::option(const std::string& key, const std::string& fallback) const {
  auto it = options_.find(key);
  return it == options_.end() ? fallback : it->second;
}

int Serve(std::vector<std::unique_ptr<Comparator>> comparators, int argc, char** argv,
          const PluginInfo& info) {
  const std::string self = info.name.empty() ? "plugin" : info.name;
  // Listen mode serves an attached plugin: no host, no handshake, just the address. A process
  // the host spawned (it has the cookie) ignores a DELTASCOPE_PLUGIN_LISTEN it inherited.
  const bool spawned = Env(internal::kMagicCookieEnv) == internal::kMagicCookie;
  std::string listen = spawned ? "" : Env(internal::kListenEnv);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--listen" && i + 1 < argc) {
      listen = argv[++i];
      continue;
    }
    if (arg.rfind("--listen=", 0) == 0) {
      listen = arg.substr(9);
      continue;
    }
    if (arg == "--describe") return PrintDescriptor(comparators, info);
    if (arg == "--version") {
      std::cout << self << " " << info.version << "\n";
      return 0;
    }
    std::cerr << self << ": unknown argument '" << arg
              << "' (only --describe, --version, --listen ADDRESS)\n";
    return 2;
  }
  if (!listen.empty()) {
    absl::StatusOr<internal::ListenAddress> address = internal::ParseListenAddress(listen);
    if (!address.ok()) {
      std::cerr << self << ": " << address.status().message() << "\n";
      return 2;
    }
    return ServeOn(std::move(comparators), info, kSupportedVersions[0], *address, -1);
  }

  if (Env(internal::kMagicCookieEnv) != internal::kMagicCookie) {
    std::cerr << "This is a deltascope plugin; it is started by deltascope, not by hand\n";
    return 1;
  }
  const std::string socket_path = Env(internal::kSocketEnv);
  absl::StatusOr<int> ready_fd = internal::ParseFd(Env(internal::kReadyFdEnv));
  if (socket_path.empty() || !ready_fd.ok()) {
    std::cerr << self << ": " << internal::kSocketEnv << " and " << internal::kReadyFdEnv
              << " must be set by the host\n";
    return 1;
  }
  const std::string host_versions = Env(internal::kVersionsEnv);
  const uint32_t version = internal::NegotiateVersion(host_versions);
  if (version == 0) {
    std::cerr << self << ": no protocol version in common: the host speaks '" << host_versions
              << "', this plugin speaks 1\n";
    WriteReadyLine(*ready_fd, internal::HandshakeLine(0, socket_path));
    return 1;
  }
  return ServeOn(std::move(comparators), info, version,
                 {.grpc_address = "unix:" + socket_path, .socket_path = socket_path}, *ready_fd);
}

namespace {

int ServeOn(std::vector<std::unique_ptr<Comparator>> comparators, const PluginInfo& info,
            uint32_t version, const internal::ListenAddress& address, int ready_fd) {
  const std::string self = info.name.empty() ? "plugin" : info.name;
  const std::string& socket_path = address.socket_path;

  // Termination signals are handled by one thread (sigwait), so block them before gRPC starts
  // its threads, which inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // A sandbox limits address space (memory: in the manifest), and glibc reserves 64 MiB of it for
  // each thread's own malloc arena: gRPC's pollers, the health service and the pipe workers
  // would take half of a 512 MiB limit before any work. Two arenas serve a plugin as well.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);

  StopSignal stop;
  internal::ComparatorService service(std::move(comparators), info, version,
                                      [&stop] { stop.Notify(); });

  struct stat st;
  if (!socket_path.empty() && ::lstat(socket_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    ::unlink(socket_path.c_str());  // a stale socket from a crashed predecessor
  }
  // grpc.health.v1.Health: gRPC's own service, SERVING for "" and the Comparator service until
  // shutdown begins (its Watch streams push the change).
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address.grpc_address, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::cerr << self << ": cannot listen on " << address.grpc_address << "\n";
    if (ready_fd >= 0) ::close(ready_fd);
    return 1;
  }
  if (ready_fd < 0) {
    std::cerr << self << ": listening on " << address.grpc_address << " (attached mode)\n";
  } else if (!WriteReadyLine(ready_fd, internal::HandshakeLine(version, socket_path))) {
    std::cerr << self << ": cannot write the handshake line: " << std::strerror(errno) << "\n";
    server->Shutdown();
    return 1;
  }

  std::thread signal_thread([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    stop.Notify();
  });
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->SetServingStatus(internal::kServiceName, true);
  }
  stop.Wait();
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->Shutdown();  // NOT_SERVING for every service, from now on
  }
  // Running comparisons finish first. gRPC's own graceful shutdown would also wait for every
  // client to hang up, so after them only the Shutdown reply gets a moment to flush.
  if (!service.WaitIdle(kDrainTimeout)) {
    std::cerr << self << ": cancelling comparisons still running at shutdown\n";
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  server->Wait();
  if (!socket_path.empty()) ::unlink(socket_path.c_str());
  pthread_kill(signal_thread.native_handle(), SIGTERM);  // wakes sigwait if still waiting
  signal_thread.join();
  return 0;
}

}  // namespace

}  // namespace deltascope::plugin
