// The Prometheus text format deltascoped serves: series, cumulative buckets, label escaping.
#include "daemon/server/metrics.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace deltascope {
namespace {

TEST(MetricsTest, RequestsAreCountedByCodeWithCumulativeBuckets) {
  RequestMetrics requests;
  requests.Record("/deltascope.daemon.v1.Deltascope/Diff", grpc::StatusCode::OK, 0.003);
  requests.Record("/deltascope.daemon.v1.Deltascope/Diff", grpc::StatusCode::OK, 0.2);
  requests.Record("/deltascope.daemon.v1.Deltascope/Diff", grpc::StatusCode::RESOURCE_EXHAUSTED,
                  1000);
  const std::string page = RenderMetrics(requests, PluginEventCounts(), DaemonGauges{});
  const std::string diff = R"(service="deltascope.daemon.v1.Deltascope",method="Diff")";
  for (const std::string& line : {
           absl::StrCat("deltascope_grpc_requests_total{", diff, R"(,code="OK"} 2)"),
           absl::StrCat("deltascope_grpc_requests_total{", diff,
                        R"(,code="RESOURCE_EXHAUSTED"} 1)"),
           absl::StrCat("deltascope_grpc_request_duration_seconds_bucket{", diff,
                        R"(,le="0.005"} 1)"),
           absl::StrCat("deltascope_grpc_request_duration_seconds_bucket{", diff,
                        R"(,le="0.25"} 2)"),
           absl::StrCat("deltascope_grpc_request_duration_seconds_bucket{", diff,
                        R"(,le="300"} 2)"),
           absl::StrCat("deltascope_grpc_request_duration_seconds_bucket{", diff,
                        R"(,le="+Inf"} 3)"),
           absl::StrCat("deltascope_grpc_request_duration_seconds_count{", diff, "} 3"),
           absl::StrCat("deltascope_grpc_request_duration_seconds_sum{", diff, "} 1000.203"),
           std::string("# TYPE deltascope_grpc_request_duration_seconds histogram"),
           std::string("deltascope_serving 1"),
       }) {
    EXPECT_NE(page.find(line + "\n"), std::string::npos) << line << "\n" << page;
  }
  // No plugins, no plugin events: no plugin families (not even their HELP lines).
  EXPECT_EQ(page.find("deltascope_plugin_"), std::string::npos);
}

TEST(MetricsTest, MethodsBeyondTheCapShareOneSeries) {
  RequestMetrics requests;
  for (size_t i = 0; i < RequestMetrics::kMaxMethods + 5; ++i) {
    requests.Record(absl::StrCat("/svc.S/M", i), grpc::StatusCode::UNIMPLEMENTED, 0.001);
  }
  const std::string page = RenderMetrics(requests, PluginEventCounts(), DaemonGauges{});
  EXPECT_NE(
      page.find(
          R"(deltascope_grpc_requests_total{service="",method="other",code="UNIMPLEMENTED"} 5)"),
      std::string::npos)
      << page;
}

TEST(MetricsTest, PluginSeriesEscapeNamesAndSplitFailuresByKind) {
  DaemonGauges gauges;
  daemon::v1::PluginMetrics* p = gauges.status.add_plugins();
  p->set_name("we\"ird\\name\nx");
  p->set_state("quarantined");
  p->set_calls(10);
  p->set_failures(6);
  p->set_timeouts(2);
  p->set_crashes(3);
  p->set_instances(1);
  p->set_latency_p99_ms(1500);
  const std::string page = RenderMetrics(RequestMetrics(), PluginEventCounts(), gauges);
  const std::string label = R"(plugin="we\"ird\\name\nx")";
  for (const std::string& line : {
           absl::StrCat("deltascope_plugin_calls_total{", label, "} 10"),
           absl::StrCat("deltascope_plugin_failures_total{", label, R"(,kind="timeout"} 2)"),
           absl::StrCat("deltascope_plugin_failures_total{", label, R"(,kind="crash"} 3)"),
           absl::StrCat("deltascope_plugin_failures_total{", label, R"(,kind="other"} 1)"),
           absl::StrCat("deltascope_plugin_state{", label, R"(,state="quarantined"} 1)"),
           absl::StrCat("deltascope_plugin_state{", label, R"(,state="running"} 0)"),
           absl::StrCat("deltascope_plugin_call_latency_seconds{", label,
                        R"(,quantile="0.99"} 1.5)"),
       }) {
    EXPECT_NE(page.find(line + "\n"), std::string::npos) << line << "\n" << page;
  }
  // Every line is a comment or NAME{...} VALUE: the raw newline in the name did not split one.
  size_t start = 0;
  while (start < page.size()) {
    const size_t end = page.find('\n', start);
    const std::string line = page.substr(start, end - start);
    EXPECT_TRUE(line.rfind("# ", 0) == 0 || line.rfind("deltascope_", 0) == 0) << line;
    start = end + 1;
  }
}

TEST(MetricsTest, PluginEventsAreCountedByPluginAndKind) {
  PluginEventCounts events;
  events.Count("ini", "crash");
  events.Count("ini", "crash");
  events.Count("ini", "quarantine");
  events.Count("sqlite", "restart");
  const std::string page = RenderMetrics(RequestMetrics(), events, DaemonGauges{});
  for (const char* line : {
           R"(deltascope_plugin_events_total{plugin="ini",kind="crash"} 2)",
           R"(deltascope_plugin_events_total{plugin="ini",kind="quarantine"} 1)",
           R"(deltascope_plugin_events_total{plugin="sqlite",kind="restart"} 1)",
       }) {
    EXPECT_NE(page.find(absl::StrCat(line, "\n")), std::string::npos) << line << "\n" << page;
  }
}

}  // namespace
}  // namespace deltascope
