// The daemon's comparators: built-ins plus plugins kept warm across requests. Reload builds a
// new generation (fresh manifests, fresh processes); requests in flight keep the generation
// they started with, whose plugins stop when the last of them finishes.
#ifndef DELTASCOPE_DAEMON_SESSION_PLUGIN_SOURCE_H_
#define DELTASCOPE_DAEMON_SESSION_PLUGIN_SOURCE_H_

#include <memory>
#include <mutex>

#include "daemon/plugin/host.h"
#include "daemon/session/comparator_source.h"

namespace deltascope {

class PluginComparatorSource : public ComparatorSource {
 public:
  // Fails when the first generation cannot be built.
  static absl::StatusOr<std::shared_ptr<PluginComparatorSource>> Create(PluginSearchOptions search,
                                                                        HostOptions host_options);

  std::shared_ptr<const ComparatorRegistry> Current() override;
  // Refused, the current set serving on, when a manifest is invalid: the error says which and
  // why, one line per manifest.
  absl::Status Reload() override;
  std::vector<daemon::v1::PluginInfo> Plugins() override;
  std::vector<daemon::v1::PluginMetrics> Metrics() override;
  std::vector<FoundPlugin> Found() override;

 private:
  struct Generation {
    std::unique_ptr<PluginHost> host;
    ComparatorRegistry registry;
  };
  // Tears generations down on a thread of its own: the last request to let one go would
  // otherwise wait for its plugins to shut down (up to their grace period), holding its slot.
  class Reaper;
  PluginComparatorSource(PluginSearchOptions search, HostOptions host_options);
  absl::StatusOr<std::shared_ptr<Generation>> Build();
  std::shared_ptr<Generation> generation();

  const PluginSearchOptions search_;
  const HostOptions host_options_;
  const std::shared_ptr<Reaper> reaper_;  // before current_: outlives it
  std::mutex mu_;
  std::shared_ptr<Generation> current_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SESSION_PLUGIN_SOURCE_H_
