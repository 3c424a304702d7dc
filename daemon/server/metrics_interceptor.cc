#include "daemon/server/metrics_interceptor.h"

#include <chrono>
#include <string>

namespace deltascope {
namespace {

using grpc::experimental::InterceptionHookPoints;

// One per call: the clock starts when the call arrives; the status is counted as it is sent.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(RequestMetrics* metrics, const char* method)
      : metrics_(metrics), method_(method ? method : "") {}

  // A call that ends without a status sent (the server shut down under it) still counts.
  ~MetricsInterceptor() override {
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!recorded_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_ = true;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    metrics_->Record(method_, code, elapsed.count());
  }

  RequestMetrics* const metrics_;
  const std::string method_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool recorded_ = false;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(RequestMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // gRPC's interface: it takes ownership of the raw pointer.
    return std::make_unique<MetricsInterceptor>(metrics_, info->method()).release();
  }

 private:
  RequestMetrics* const metrics_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MetricsInterceptorFactory(
    RequestMetrics* metrics) {
  return std::make_unique<Factory>(metrics);
}

}  // namespace deltascope
