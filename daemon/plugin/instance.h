// One plugin instance as the supervisor holds it: the process (none for an attached plugin), its
// channel, what it said in Describe, and its ComparePipe once it serves calls that way. Private to
// the plugin adapter (supervisor.cc, supervisor_pipe.cc).
#ifndef DELTASCOPE_DAEMON_PLUGIN_INSTANCE_H_
#define DELTASCOPE_DAEMON_PLUGIN_INSTANCE_H_

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/engine/comparator.h"
#include "daemon/plugin/pipe.h"
#include "daemon/plugin/supervisor.h"
#include "deltascope/plugin/v1/comparator.grpc.pb.h"

namespace deltascope {

struct PluginSupervisor::Instance {
  std::unique_ptr<PluginProcess> process;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pluginpb::Comparator::Stub> stub;
  pluginpb::DescribeResponse description;
  std::shared_ptr<ComparePipe> pipe;  // set while the instance serves piped calls

  bool ServesPipe() const {
    const auto& caps = description.capabilities();
    return std::find(caps.begin(), caps.end(), pluginpb::CAPABILITY_COMPARE_PIPE) != caps.end();
  }
};

namespace supervisor_internal {

inline absl::Status Coded(absl::Status status, const char* code) {
  return WithDiagnosticCode(std::move(status), code);
}

inline std::string Seconds(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? absl::StrCat(d.count() / 1000, " s")
                               : absl::StrCat(d.count(), " ms");
}

}  // namespace supervisor_internal
}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_INSTANCE_H_
