#include "daemon/server/metrics.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace deltascope {
namespace {

std::string Number(double v) { return absl::StrFormat("%.9g", v); }

// A label value as the text format wants it: backslash, double quote and newline escaped.
// Plugin names come from manifests: never trusted to be well-formed.
std::string LabelValue(absl::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Family(std::string& out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

// "/pkg.Service/Method" -> service="pkg.Service",method="Method".
std::string MethodLabels(absl::string_view full) {
  absl::ConsumePrefix(&full, "/");
  const size_t slash = full.find('/');
  if (slash == absl::string_view::npos) {
    return absl::StrCat("service=\"\",method=\"", LabelValue(full), "\"");
  }
  return absl::StrCat("service=\"", LabelValue(full.substr(0, slash)), "\",method=\"",
                      LabelValue(full.substr(slash + 1)), "\"");
}

// The states PluginStateName() gives; each plugin has one series per state, 1 for its own.
constexpr absl::string_view kPluginStates[] = {"available", "running", "disabled", "quarantined",
                                               "unreachable"};

void RenderPlugins(std::string& out, const daemon::v1::PluginStatusResponse& status) {
  using daemon::v1::PluginMetrics;
  auto each = [&](absl::string_view name, absl::string_view type, absl::string_view help,
                  auto&& series) {
    if (status.plugins().empty()) return;
    Family(out, name, type, help);
    for (const PluginMetrics& p : status.plugins())
      series(absl::StrCat("plugin=\"", LabelValue(p.name()), "\""), p);
  };
  each("deltascope_plugin_calls_total", "counter", "Compare calls sent to the plugin.",
       [&](const std::string& l, const PluginMetrics& p) {
         absl::StrAppend(&out, "deltascope_plugin_calls_total{", l, "} ", p.calls(), "\n");
       });
  each("deltascope_plugin_failures_total", "counter",
       "Failed Compare calls by kind: timeout (killed at call_timeout), crash (the process "
       "died), other (an error status or a lost connection).",
       [&](const std::string& l, const PluginMetrics& p) {
         const uint64_t known = p.timeouts() + p.crashes();
         const uint64_t other = p.failures() > known ? p.failures() - known : 0;
         for (auto [kind, n] : {std::pair{"timeout", p.timeouts()}, std::pair{"crash", p.crashes()},
                                std::pair{"other", other}}) {
           absl::StrAppend(&out, "deltascope_plugin_failures_total{", l, ",kind=\"", kind, "\"} ",
                           n, "\n");
         }
       });
  each("deltascope_plugin_restarts_total", "counter",
       "Plugin processes started again after one failed.",
       [&](const std::string& l, const PluginMetrics& p) {
         absl::StrAppend(&out, "deltascope_plugin_restarts_total{", l, "} ", p.restarts(), "\n");
       });
  each("deltascope_plugin_instances", "gauge", "Live plugin processes (or connections).",
       [&](const std::string& l, const PluginMetrics& p) {
         absl::StrAppend(&out, "deltascope_plugin_instances{", l, "} ", p.instances(), "\n");
       });
  each("deltascope_plugin_state", "gauge",
       "1 for the plugin's current state (quarantined: skipped by the circuit breaker).",
       [&](const std::string& l, const PluginMetrics& p) {
         bool listed = false;
         for (absl::string_view state : kPluginStates) {
           listed |= state == p.state();
           absl::StrAppend(&out, "deltascope_plugin_state{", l, ",state=\"", state, "\"} ",
                           state == p.state() ? 1 : 0, "\n");
         }
         if (!listed) {
           absl::StrAppend(&out, "deltascope_plugin_state{", l, ",state=\"", LabelValue(p.state()),
                           "\"} 1\n");
         }
       });
  each("deltascope_plugin_call_latency_seconds", "gauge",
       "Latency quantiles of the plugin's recent Compare calls.",
       [&](const std::string& l, const PluginMetrics& p) {
         for (auto [q, ms] :
              {std::pair{"0.5", p.latency_p50_ms()}, std::pair{"0.9", p.latency_p90_ms()},
               std::pair{"0.99", p.latency_p99_ms()}}) {
           absl::StrAppend(&out, "deltascope_plugin_call_latency_seconds{", l, ",quantile=\"", q,
                           "\"} ", Number(ms / 1000), "\n");
         }
       });
}

}  // namespace

void RequestMetrics::Record(absl::string_view method, grpc::StatusCode code, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = methods_.find(method);
  if (it == methods_.end()) {
    const bool room = methods_.size() < kMaxMethods;
    it = methods_.try_emplace(std::string(room ? method : "other")).first;
  }
  PerMethod& m = it->second;
  ++m.codes[static_cast<int>(code)];
  ++m.count;
  m.sum_seconds += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++m.buckets[i];
  }
}

void RequestMetrics::Render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  Family(out, "deltascope_grpc_requests_total", "counter",
         "Finished gRPC calls by service, method and status code.");
  for (const auto& [method, m] : methods_) {
    for (const auto& [code, n] : m.codes) {
      absl::StrAppend(&out, "deltascope_grpc_requests_total{", MethodLabels(method), ",code=\"",
                      absl::StatusCodeToString(static_cast<absl::StatusCode>(code)), "\"} ", n,
                      "\n");
    }
  }
  Family(out, "deltascope_grpc_request_duration_seconds", "histogram",
         "Time from a call's arrival to its status, by service and method (a Diff's includes "
         "its time queued).");
  for (const auto& [method, m] : methods_) {
    const std::string labels = MethodLabels(method);
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      absl::StrAppend(&out, "deltascope_grpc_request_duration_seconds_bucket{", labels, ",le=\"",
                      Number(kBuckets[i]), "\"} ", m.buckets[i], "\n");
    }
    absl::StrAppend(&out, "deltascope_grpc_request_duration_seconds_bucket{", labels,
                    ",le=\"+Inf\"} ", m.count, "\n");
    absl::StrAppend(&out, "deltascope_grpc_request_duration_seconds_sum{", labels, "} ",
                    Number(m.sum_seconds), "\n");
    absl::StrAppend(&out, "deltascope_grpc_request_duration_seconds_count{", labels, "} ", m.count,
                    "\n");
  }
}

void PluginEventCounts::Count(absl::string_view plugin, absl::string_view kind) {
  std::lock_guard<std::mutex> lock(mu_);
  std::pair<std::string, std::string> key(plugin, kind);
  if (counts_.size() >= kMaxSeries && !counts_.contains(key)) key.first = "other";
  ++counts_[key];
}

void PluginEventCounts::Render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (counts_.empty()) return;
  Family(out, "deltascope_plugin_events_total", "counter",
         "Plugin events by kind: crash, timeout, connection-lost, unreachable, restart, "
         "quarantine (the circuit breaker opened), recovery (it closed), disabled.");
  for (const auto& [key, n] : counts_) {
    absl::StrAppend(&out, "deltascope_plugin_events_total{plugin=\"", LabelValue(key.first),
                    "\",kind=\"", LabelValue(key.second), "\"} ", n, "\n");
  }
}

std::string RenderMetrics(const RequestMetrics& requests, const PluginEventCounts& events,
                          const DaemonGauges& gauges) {
  std::string out;
  requests.Render(out);
  Family(out, "deltascope_diffs_running", "gauge",
         "Diffs holding one of the --max-concurrent slots.");
  absl::StrAppend(&out, "deltascope_diffs_running ", gauges.diffs_running, "\n");
  Family(out, "deltascope_diffs_queued", "gauge",
         "Diffs waiting for a slot (at most --max-queued; more are refused).");
  absl::StrAppend(&out, "deltascope_diffs_queued ", gauges.diffs_queued, "\n");
  Family(out, "deltascope_diffs_waiting_on_plugins", "gauge",
         "Running diffs waiting on a plugin, their slot lent to queued diffs.");
  absl::StrAppend(&out, "deltascope_diffs_waiting_on_plugins ", gauges.diffs_waiting_on_plugins,
                  "\n");
  Family(out, "deltascope_diffs_served_total", "counter", "Diffs that ran to their Done event.");
  absl::StrAppend(&out, "deltascope_diffs_served_total ", gauges.status.requests_served(), "\n");
  Family(out, "deltascope_serving", "gauge", "1 while serving, 0 once draining.");
  absl::StrAppend(&out, "deltascope_serving ", gauges.serving ? 1 : 0, "\n");
  Family(out, "deltascope_uptime_seconds", "gauge", "Seconds since the daemon started.");
  absl::StrAppend(&out, "deltascope_uptime_seconds ", Number(gauges.status.uptime_seconds()), "\n");
  RenderPlugins(out, gauges.status);
  events.Render(out);
  return out;
}

}  // namespace deltascope
