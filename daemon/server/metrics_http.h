// The optional HTTP listener for Prometheus (--metrics-listen HOST:PORT), on civetweb. It answers
// GET (or HEAD) /metrics and /healthz and nothing else: no files, no directory listings, 404 for
// every other path and 405 for other methods.
#ifndef DELTASCOPE_DAEMON_SERVER_METRICS_HTTP_H_
#define DELTASCOPE_DAEMON_SERVER_METRICS_HTTP_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct mg_context;
struct mg_connection;

namespace deltascope {

class MetricsHttpServer {
 public:
  struct Pages {
    std::function<std::string()> metrics;  // the /metrics body (text format 0.0.4)
    std::function<bool()> healthy;         // /healthz: 200 "ok" when true, else 503 "draining"
  };

  // Listens on `address`: IPV4:PORT or [IPV6]:PORT; port 0 picks a free one (see port()).
  // Fails (naming the address) when it is malformed or cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const std::string& address,
                                                                  Pages pages);
  ~MetricsHttpServer();  // stops listening; waits for requests being answered
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }

  // Not listening yet: use Start().
  explicit MetricsHttpServer(Pages pages) : pages_(std::move(pages)) {}

 private:
  static int Handle(mg_connection* conn, void* self);

  const Pages pages_;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_METRICS_HTTP_H_
