// Feeds RequestMetrics from every gRPC call the server finishes, whatever the service (Diff,
// PluginStatus, health checks, reflection), without the services' cooperation.
#ifndef DELTASCOPE_DAEMON_SERVER_METRICS_INTERCEPTOR_H_
#define DELTASCOPE_DAEMON_SERVER_METRICS_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "daemon/server/metrics.h"

namespace deltascope {

// For grpc::ServerBuilder::experimental().SetInterceptorCreators(). `metrics` must outlive the
// server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MetricsInterceptorFactory(
    RequestMetrics* metrics);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_METRICS_INTERCEPTOR_H_
