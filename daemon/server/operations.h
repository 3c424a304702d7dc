// What deltascoped adds around its gRPC services for operators: request metrics (an interceptor)
// served in Prometheus format on an optional HTTP listener, reflection v1 beside v1alpha, and
// systemd's readiness notifications. deltascoped.cc calls it at each step of the server's life.
#ifndef DELTASCOPE_DAEMON_SERVER_OPERATIONS_H_
#define DELTASCOPE_DAEMON_SERVER_OPERATIONS_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "daemon/server/diff_service.h"
#include "daemon/server/metrics.h"
#include "daemon/server/metrics_http.h"
#include "daemon/server/reflection_v1.h"

namespace deltascope {

class ServerOperations {
 public:
  // `metrics_listen`: IPV4:PORT or [IPV6]:PORT for /metrics and /healthz, "" for none. Made
  // before the plugin host, whose events it counts, and destroyed after it.
  explicit ServerOperations(std::string metrics_listen);

  // For the plugin host's event sink (HostOptions::events): any thread, any time.
  void CountPluginEvent(const std::string& plugin, const std::string& kind) {
    plugin_events_.Count(plugin, kind);
  }

  // Before BuildAndStart: reflection (v1alpha and v1) and, with metrics, the interceptor.
  void Configure(grpc::ServerBuilder& builder);
  // After BuildAndStart: attaches reflection v1 and opens the metrics listener, whose pages read
  // `service` until Stopped().
  absl::Status Started(grpc::Server& server, DiffService& service);
  // The metrics listener's port (0: none).
  int metrics_port() const { return http_ ? http_->port() : 0; }
  // Once the ready line is logged: READY=1 to systemd.
  void Ready();
  // SIGHUP: RELOADING=1 now, READY=1 from Reloaded().
  void Reloading();
  void Reloaded();
  // SIGTERM/SIGINT: STOPPING=1; /healthz and deltascope_serving say so from now on.
  void Draining();
  // Once the server has stopped, before it and the service are destroyed: closes the metrics
  // listener and reflection's in-process channel.
  void Stopped();

 private:
  const std::string metrics_listen_;
  RequestMetrics requests_;
  PluginEventCounts plugin_events_;
  ReflectionV1Service reflection_v1_;
  std::atomic<bool> serving_{true};
  std::unique_ptr<MetricsHttpServer> http_;  // last: stopped before what its pages read
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_OPERATIONS_H_
