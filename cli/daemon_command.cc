// `deltascope daemon status`: what a running deltascoped is doing, plugin by plugin.
#include <grpcpp/grpcpp.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "daemon/util/untrusted_text.h"
#include "deltascope/daemon/v1/daemon.grpc.pb.h"

namespace deltascope::cli {
namespace {

int Status(const DaemonTarget& target) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ConnectDaemon(target);
  if (!channel.ok()) {
    PrintError(channel.status().message());
    return kExitTrouble;
  }
  auto stub = daemon::v1::Deltascope::NewStub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  daemon::v1::PluginStatusResponse status;
  grpc::Status s = stub->PluginStatus(&ctx, daemon::v1::PluginStatusRequest(), &status);
  if (!s.ok()) {
    PrintError(absl::StrCat("deltascoped at ", target.target, ": ", s.error_message()));
    return kExitTrouble;
  }
  std::printf("uptime %.0f s, %llu diffs served, %u in flight\n", status.uptime_seconds(),
              static_cast<unsigned long long>(status.requests_served()),
              status.requests_in_flight());
  if (status.plugins_size() == 0) std::printf("no plugins\n");
  for (const auto& p : status.plugins()) {
    std::printf(
        "%-20s %-11s instances %u  calls %llu  failures %llu  timeouts %llu  crashes %llu  "
        "restarts %llu  latency p50 %.2f ms p90 %.2f ms p99 %.2f ms\n",
        EscapeForTerminal(p.name()).c_str(), EscapeForTerminal(p.state()).c_str(), p.instances(),
        static_cast<unsigned long long>(p.calls()), static_cast<unsigned long long>(p.failures()),
        static_cast<unsigned long long>(p.timeouts()), static_cast<unsigned long long>(p.crashes()),
        static_cast<unsigned long long>(p.restarts()), p.latency_p50_ms(), p.latency_p90_ms(),
        p.latency_p99_ms());
  }
  return 0;
}

}  // namespace

void AddDaemonCommand(CLI::App& app, int* exit_code) {
  CLI::App* daemon = app.add_subcommand("daemon", "Talk to a running deltascoped");
  daemon->require_subcommand(1);
  auto target = std::make_shared<DaemonTarget>();
  CLI::App* status = daemon->add_subcommand("status", "Requests and per-plugin metrics");
  AddDaemonFlags(status, *target)->required();
  status->callback([=] { *exit_code = Status(*target); });
}

}  // namespace deltascope::cli
