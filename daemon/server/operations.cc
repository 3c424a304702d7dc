#include "daemon/server/operations.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <utility>
#include <vector>

#include "daemon/server/metrics_interceptor.h"
#include "daemon/server/systemd_notify.h"

namespace deltascope {

ServerOperations::ServerOperations(std::string metrics_listen)
    : metrics_listen_(std::move(metrics_listen)) {}

void ServerOperations::Configure(grpc::ServerBuilder& builder) {
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  builder.RegisterService(&reflection_v1_);
  if (metrics_listen_.empty()) return;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(MetricsInterceptorFactory(&requests_));
  builder.experimental().SetInterceptorCreators(std::move(creators));
}

absl::Status ServerOperations::Started(grpc::Server& server, DiffService& service) {
  reflection_v1_.Attach(server);
  if (metrics_listen_.empty()) return absl::OkStatus();
  MetricsHttpServer::Pages pages;
  pages.metrics = [this, &service] {
    DaemonGauges gauges;
    const DiffService::Load load = service.CurrentLoad();
    gauges.diffs_running = load.running;
    gauges.diffs_queued = load.queued;
    gauges.diffs_waiting_on_plugins = load.waiting_on_plugins;
    gauges.serving = serving_.load();
    // The PluginStatus RPC's own answer for every plugin (it reads nothing from its context).
    const daemon::v1::PluginStatusRequest every_plugin;
    (void)service.PluginStatus(nullptr, &every_plugin, &gauges.status);
    return RenderMetrics(requests_, plugin_events_, gauges);
  };
  pages.healthy = [this] { return serving_.load(); };
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> http =
      MetricsHttpServer::Start(metrics_listen_, std::move(pages));
  if (!http.ok()) return http.status();
  http_ = *std::move(http);
  return absl::OkStatus();
}

void ServerOperations::Stopped() {
  http_.reset();
  reflection_v1_.Detach();
}

void ServerOperations::Ready() { NotifyReady(); }
void ServerOperations::Reloading() { NotifyReloading(); }
void ServerOperations::Reloaded() { NotifyReady(); }

void ServerOperations::Draining() {
  serving_ = false;
  NotifyStopping();
}

}  // namespace deltascope
