// What deltascoped counts for Prometheus, and the text exposition format (version 0.0.4) it is
// served in. The metric names are a contract with dashboards: docs/daemon.md lists them.
#ifndef DELTASCOPE_DAEMON_SERVER_METRICS_H_
#define DELTASCOPE_DAEMON_SERVER_METRICS_H_

#include <grpcpp/support/status.h>

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "deltascope/daemon/v1/daemon.pb.h"

namespace deltascope {

// Finished gRPC calls by method and status code, and their latency histogram. Thread-safe.
class RequestMetrics {
 public:
  // Upper bounds (seconds) of the latency histogram's buckets; +Inf is implied.
  static constexpr std::array<double, 14> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                      1,     2.5,  5,     10,   30,  60,   300};
  // Methods counted apart; calls to others (never-registered names) share the method "other".
  static constexpr size_t kMaxMethods = 32;

  // One finished call; `method` as gRPC gives it ("/deltascope.daemon.v1.Deltascope/Diff").
  void Record(absl::string_view method, grpc::StatusCode code, double seconds);

  // Appends deltascope_grpc_requests_total and deltascope_grpc_request_duration_seconds.
  void Render(std::string& out) const;

 private:
  struct PerMethod {
    std::map<int, uint64_t> codes;  // only codes that occurred
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum_seconds = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, PerMethod, std::less<>> methods_;
};

// Plugin events (crash, timeout, restart, quarantine, recovery...) by plugin and kind, as the
// plugin host reports them. Thread-safe; at most kMaxSeries (plugin, kind) pairs are kept apart,
// the others are counted under plugin "other".
class PluginEventCounts {
 public:
  static constexpr size_t kMaxSeries = 512;
  void Count(absl::string_view plugin, absl::string_view kind);
  // Appends deltascope_plugin_events_total (nothing before the first event).
  void Render(std::string& out) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> counts_;
};

// The daemon's state at scrape time.
struct DaemonGauges {
  int diffs_running = 0;
  int diffs_queued = 0;
  int diffs_waiting_on_plugins = 0;         // running diffs that lent their slot (slot_lender.h)
  bool serving = true;                      // false once draining
  daemon::v1::PluginStatusResponse status;  // plugins' counters, uptime (PluginStatus RPC)
};

// The whole /metrics page.
std::string RenderMetrics(const RequestMetrics& requests, const PluginEventCounts& events,
                          const DaemonGauges& gauges);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_METRICS_H_
