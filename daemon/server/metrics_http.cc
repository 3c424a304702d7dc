#include "daemon/server/metrics_http.h"

#include <civetweb.h>

#include <cstring>
#include <mutex>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "daemon/server/log.h"
#include "re2/re2.h"

namespace deltascope {
namespace {

int LogCivetweb(const mg_connection*, const char* message) {
  LogWarning("metrics listener", {{"source", "civetweb"}, {"error", message ? message : ""}});
  return 1;  // handled: civetweb prints nothing itself
}

int Reply(mg_connection* conn, int code, std::string_view type, std::string_view body, bool head) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            code, mg_get_response_code_text(conn, code), static_cast<int>(type.size()), type.data(),
            body.size());
  if (!head) mg_write(conn, body.data(), body.size());
  return code;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& address, Pages pages) {
  // civetweb's listening_ports has its own syntax (several ports, "s" for TLS, "r" for
  // redirects): take only one plain address, so the flag means what it says.
  static const RE2 kAddress(R"((\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):(\d{1,5}))");
  if (!RE2::FullMatch(address, kAddress)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen '", address,
                     "': expected IPV4:PORT or [IPV6]:PORT, e.g. 127.0.0.1:9464"));
  }
  static std::once_flag init;
  std::call_once(init, [] { mg_init_library(0); });

  auto server = std::make_unique<MetricsHttpServer>(std::move(pages));
  const char* options[] = {
      "listening_ports", address.c_str(),     "num_threads", "2",    "request_timeout_ms",
      "10000",           "enable_keep_alive", "no",          nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = &LogCivetweb;
  char error_text[256] = "";
  unsigned error_code = 0;
  mg_error_data error{&error_code, error_text, sizeof(error_text)};
  mg_init_data init_data{&callbacks, server.get(), options};
  server->context_ = mg_start2(&init_data, &error);
  if (server->context_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("--metrics-listen ", address, ": cannot listen: ", error_text));
  }
  // Every path goes through Handle (the longest-prefix match of "/" is everything).
  mg_set_request_handler(server->context_, "/", &MetricsHttpServer::Handle, server.get());
  mg_server_port ports[1] = {};
  if (mg_get_server_ports(server->context_, 1, ports) == 1) server->port_ = ports[0].port;
  return server;
}

MetricsHttpServer::~MetricsHttpServer() {
  if (context_ != nullptr) mg_stop(context_);
}

int MetricsHttpServer::Handle(mg_connection* conn, void* self) {
  const MetricsHttpServer& server = *static_cast<const MetricsHttpServer*>(self);
  const mg_request_info* request = mg_get_request_info(conn);
  const std::string_view method = request->request_method ? request->request_method : "";
  const std::string_view path = request->local_uri_raw ? request->local_uri_raw : "";
  const bool head = method == "HEAD";
  if (method != "GET" && !head) return Reply(conn, 405, "text/plain", "only GET\n", head);
  if (path == "/metrics") {
    return Reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", server.pages_.metrics(),
                 head);
  }
  if (path == "/healthz") {
    const bool healthy = server.pages_.healthy();
    return Reply(conn, healthy ? 200 : 503, "text/plain", healthy ? "ok\n" : "draining\n", head);
  }
  return Reply(conn, 404, "text/plain", "not found: this listener serves /metrics and /healthz\n",
               head);
}

}  // namespace deltascope
