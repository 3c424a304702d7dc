#include "daemon/session/plugin_options.h"

#include <system_error>

#include "daemon/session/plugin_source.h"

namespace deltascope {

PluginSearchOptions SearchOptionsOf(const PluginOptions& options) {
  PluginSearchOptions search;
  for (const std::string& d : options.plugin_dirs) search.plugin_dirs.emplace_back(d);
  ChoosePythonInterpreters(options.python, options.no_python_plugins, search);
  search.require_signed = options.require_signed;
  for (const std::string& k : options.trusted_keys) search.trusted_keys.emplace_back(k);
  search.enable = options.enable;
  search.disable = options.disable;
  return search;
}

absl::StatusOr<PluginSetup> ResolvePluginOptions(const PluginOptions& options) {
  PluginSetup setup;
  setup.search = SearchOptionsOf(options);

  if (absl::Status s = SetSandboxChoice(options.sandbox, setup.host); !s.ok()) return s;
  absl::StatusOr<LimitCeiling> ceiling = UserLimitCeiling(options.limits, options.config_limits);
  if (!ceiling.ok()) return ceiling.status();
  setup.host.limit_ceiling = *std::move(ceiling);
  setup.host.content_roots = options.content_roots;
  setup.host.quarantine_period = options.quarantine_period;
  setup.host.log = options.log;
  setup.host.events = options.events;
  return setup;
}

std::vector<std::filesystem::path> ContentRoots(const std::vector<std::string>& snapshots) {
  std::vector<std::filesystem::path> roots;
  for (const std::string& snapshot : snapshots) {
    std::error_code ec;
    std::filesystem::path root = std::filesystem::canonical(snapshot, ec);
    if (!ec) roots.push_back(std::filesystem::is_directory(root) ? root : root.parent_path());
  }
  return roots;
}

absl::StatusOr<std::unique_ptr<PluginHost>> StartPluginHost(const PluginOptions& options) {
  absl::StatusOr<PluginSetup> setup = ResolvePluginOptions(options);
  if (!setup.ok()) return setup.status();
  std::vector<FoundPlugin> found;
  if (options.enabled) found = FindPlugins(setup->search);
  return PluginHost::Create(std::move(found), std::move(setup->host));
}

absl::StatusOr<std::shared_ptr<ComparatorSource>> OpenComparators(const PluginOptions& options) {
  if (!options.enabled) return std::make_shared<StdlibComparatorSource>();
  absl::StatusOr<PluginSetup> setup = ResolvePluginOptions(options);
  if (!setup.ok()) return setup.status();
  absl::StatusOr<std::shared_ptr<PluginComparatorSource>> plugins =
      PluginComparatorSource::Create(std::move(setup->search), std::move(setup->host));
  if (!plugins.ok()) return plugins.status();
  return std::shared_ptr<ComparatorSource>(*std::move(plugins));
}

}  // namespace deltascope
