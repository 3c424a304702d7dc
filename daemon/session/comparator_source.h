// Where diffs get their comparators: built-ins and plugins. A CLI run opens one; the daemon keeps
// one warm across requests, swapped atomically on reload so in-flight diffs keep the set they
// started with.
#ifndef DELTASCOPE_DAEMON_SESSION_COMPARATOR_SOURCE_H_
#define DELTASCOPE_DAEMON_SESSION_COMPARATOR_SOURCE_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "daemon/engine/registry.h"
#include "daemon/plugin/host.h"
#include "deltascope/daemon/v1/daemon.pb.h"

namespace deltascope {

class ComparatorSource {
 public:
  virtual ~ComparatorSource() = default;
  // The current registry; callers keep the pointer for the whole request.
  virtual std::shared_ptr<const ComparatorRegistry> Current() = 0;
  // Re-reads manifests and configuration; on error the current registry stays in force.
  virtual absl::Status Reload() = 0;
  // What the plugins are doing (empty when the source has no plugins).
  virtual std::vector<daemon::v1::PluginInfo> Plugins() { return {}; }
  virtual std::vector<daemon::v1::PluginMetrics> Metrics() { return {}; }
  // Every plugin found, usable or not (with its reason).
  virtual std::vector<FoundPlugin> Found() { return {}; }
};

// Only the built-in comparators.
class StdlibComparatorSource : public ComparatorSource {
 public:
  StdlibComparatorSource();
  std::shared_ptr<const ComparatorRegistry> Current() override { return registry_; }
  absl::Status Reload() override { return absl::OkStatus(); }

 private:
  std::shared_ptr<const ComparatorRegistry> registry_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SESSION_COMPARATOR_SOURCE_H_
